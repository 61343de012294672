"""WCAG 2.2 AA: axe-core (from npm, pinned in package.json) finds no violation on any page, in Chromium.

Each page is checked as a member reaches it, error states included, with its real
Content-Security-Policy in force.
"""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import create_member
from portal.models import Claim, Enrollment
from security.questions import QUESTIONS
from tests.browser.conftest import sign_in
from tests.conftest import MEMBER_ANSWERS, MEMBER_PASSWORD, support_role, totp_code

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# "incomplete" is what axe could not decide (e.g. text contrast over an image): each node's
# check messages say why, and an undecided page fails as a violating one does.
RUN_AXE = """tags => {
  const outcomes = ["violations", "incomplete"];
  return axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: outcomes}).then(result =>
    Object.fromEntries(outcomes.map(outcome => [outcome, result[outcome].map(v => ({
      rule: v.id, impact: v.impact, help: v.help, where: v.nodes.map(node => node.target.join(" ")),
      why: v.nodes.map(node => [...node.any, ...node.all, ...node.none].map(check => check.message).join(" ")),
    }))])));
}"""


class Axe:
    """Runs axe-core on the page in its current state and keeps every violation and undecided result, by page."""

    def __init__(self, page):
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing: run scripts/run-tests, or npm ci, to install axe-core")
        self.page = page
        self.source = AXE.read_text()
        self.violations = {}
        self.incomplete = {}
        self.checked = []

    def check(self, name):
        # add_script_tag(path=...) inlines the file, which the page's CSP refuses; code evaluated
        # through the DevTools protocol is not subject to it, so the page keeps its real policy.
        self.page.evaluate(self.source + "\n;'axe-core loaded'")
        found = self.page.evaluate(RUN_AXE, RULES)
        self.checked.append(name)
        if found["violations"]:
            self.violations[name] = found["violations"]
        if found["incomplete"]:
            self.incomplete[name] = found["incomplete"]

    def assert_none(self):
        report = "\n".join(
            f"{name}: {outcome} {v['rule']} ({v['impact']}) {v['help']} at {v['where']}: {v['why']}"
            for outcome, by_page in (("violation", self.violations), ("undecided", self.incomplete))
            for name, found in by_page.items()
            for v in found
        )
        assert not self.violations and not self.incomplete, f"axe-core found violations or could not decide:\n{report}"


@pytest.fixture
def axe(page):
    return Axe(page)


def visit(page, path):
    """Follow a same-site link to `path` (a typed address would end the session: sign in again on return)."""
    with page.expect_navigation():
        page.evaluate("path => window.location.assign(path)", path)


def test_the_public_pages(page, axe, make_member):
    make_member("alice")

    page.goto("/accounts/login/")
    axe.check("sign-in")
    sign_in(page, "alice", "not the password")
    expect(page.get_by_role("alert")).to_be_visible()
    axe.check("sign-in, wrong password")
    for attempt in range(4):
        sign_in(page, "alice", f"still not it {attempt}")
    expect(page.get_by_role("alert")).to_contain_text("This account is frozen")
    axe.check("sign-in, account frozen")

    page.goto("/security/")
    axe.check("how we protect your account")

    page.goto("/accounts/password-reset/")
    axe.check("password reset: username")
    page.get_by_label("Username").fill("alice")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Answer your security questions")).to_be_visible()
    axe.check("password reset: questions")
    for key in MEMBER_ANSWERS:
        page.get_by_label(QUESTIONS[key]).fill("wrong answer")
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe.check("password reset: wrong answers")
    for key, answer in MEMBER_ANSWERS.items():
        page.get_by_label(QUESTIONS[key]).fill(answer)
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    axe.check("password reset: new password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Set my new password").click()
    axe.check("password reset: new password refused")
    page.get_by_label("New password", exact=True).fill("a river of quiet lanterns")
    page.get_by_label("New password confirmation").fill("a river of quiet lanterns")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="Your password has been reset")).to_be_visible()
    axe.check("password reset: done")

    page.goto("/accounts/signed-out/")
    axe.check("signed out")
    axe.assert_none()


def test_the_member_area(page, axe, db):
    member = create_member(
        username="demo", email="demo@example.com", password=MEMBER_PASSWORD, first_name="Dana", actor="test"
    )
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    member.security_questions_set_at = timezone.now()
    member.save()
    enrollment = Enrollment.objects.get(member=member)
    claims = Claim.objects.filter(enrollment=enrollment)

    page.goto("/accounts/login/")
    sign_in(page, "demo", MEMBER_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Dana")).to_be_visible()
    axe.check("home")
    page.evaluate("() => document.getElementById('session-timeout-dialog').showModal()")
    axe.check("home, session timeout warning open")
    page.evaluate("() => document.getElementById('session-timeout-dialog').close()")

    claim_of = {status: claims.filter(status=status).first().claim_number for status in Claim.Status.values}
    pages = {
        "ID card": "/id-card/",
        "a family member's ID card": f"/id-card/{enrollment.member_number}-02/",
        "claims": "/claims/",
        "claims, page 2, filtered": "/claims/?status=processed&page=2",
        "claims, no match": "/claims/?status=denied&date_from=2030-01-01",
        "claims, wrong date range": "/claims/?date_from=2026-06-01&date_to=2026-01-01",
        "explanation of benefits": f"/claims/{claim_of[Claim.Status.PROCESSED]}/",
        "explanation of benefits, in review": f"/claims/{claim_of[Claim.Status.IN_REVIEW]}/",
        "explanation of benefits, denied": f"/claims/{claim_of[Claim.Status.DENIED]}/",
        "profile": "/profile/",
        "change email": "/profile/email/",
        "time zone": "/profile/time-zone/",
    }
    for name, path in pages.items():
        visit(page, path)
        axe.check(name)

    visit(page, "/profile/")
    page.get_by_label("Phone number").fill("12345")
    page.get_by_label("City").fill("")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe.check("profile, details refused")
    page.get_by_label("Phone number").fill("217-555-0100")
    page.get_by_label("City").fill("Springfield")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    axe.check("profile, details saved")

    visit(page, "/profile/email/")
    page.get_by_label("New email address").fill("dana@example.org")
    page.get_by_label("Your current password").fill("not my password")
    page.get_by_role("button", name="Change email address").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe.check("change email, wrong password")
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Change email address").click()
    expect(page.get_by_role("status")).to_be_visible()
    axe.check("change email, waiting for confirmation")
    link = re.search(r"https?://[^/\s]+(/profile/email/confirm/[^/\s]+/)", mail.outbox[-1].body).group(1)
    visit(page, link)
    expect(page.get_by_role("heading", name="Confirm your new email address")).to_be_visible()
    axe.check("confirm new email address")
    visit(page, link.replace("/confirm/", "/confirm/x"))
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    axe.check("confirm new email address, link refused")
    axe.assert_none()


def test_confirm_its_you(page, axe, make_member):
    make_member("alice")
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    page.goto("/claims/")  # a return from outside: the portal asks for the password again
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    axe.check("confirm it's you")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe.check("confirm it's you, wrong password")
    axe.assert_none()


def test_the_error_pages(page, axe, settings):
    settings.ROOT_URLCONF = "tests.portal.error_urls"
    page.goto("/no-such-page/")
    axe.check("404 not found")
    for status in (400, 403, 429, 500):
        page.goto(f"/test-errors/{status}/")
        axe.check(f"{status} error page")
    axe.assert_none()


def test_the_support_site(page, axe, make_member, enroll_totp):
    agent = make_member("sam", first_name="Sam", is_staff=True, with_questions=False)
    agent.groups.add(support_role("Support"))
    device = enroll_totp(agent)
    make_member("fred", first_name="Fred")
    page.goto("/admin/")
    sign_in(page, "sam")
    page.get_by_label(re.compile("Code from your authenticator app")).fill(totp_code(device))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("link", name="Security overview")).to_be_visible()
    axe.check("support site home")
    # Each page is checked once it has arrived, not while the click's navigation is under way.
    page.get_by_role("link", name="Members", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/admin/accounts/user/$"))
    expect(page.get_by_role("link", name="fred", exact=True)).to_be_visible()
    axe.check("members list")
    page.get_by_role("link", name="fred", exact=True).click()
    expect(page.locator("section.member-facts")).to_be_visible()
    axe.check("member page")
    page.get_by_role("link", name="All of this member's events in the audit log").click()
    expect(page).to_have_url(re.compile(r"/admin/security/securityevent/\?"))
    expect(page.locator("#changelist")).to_be_visible()
    axe.check("audit log list, one member")
    page.locator("#nav-sidebar").get_by_role("link", name=re.compile("security events", re.I)).click()
    expect(page).to_have_url(re.compile(r"/admin/security/securityevent/$"))
    expect(page.locator("#changelist")).to_be_visible()
    axe.check("audit log list")
    axe.assert_none()


def test_the_security_overview(page, axe, make_member, enroll_totp):
    agent = make_member("sam", is_staff=True, with_questions=False)
    agent.groups.add(support_role("Support"))
    device = enroll_totp(agent)
    page.goto("/admin/")
    sign_in(page, "sam")
    page.get_by_label(re.compile("Code from your authenticator app")).fill(totp_code(device))
    page.get_by_role("button", name="Verify and sign in").click()
    page.get_by_role("link", name="Security overview").click()
    expect(page.get_by_role("heading", name=re.compile("Failed sign-ins per hour"))).to_be_visible()
    axe.check("security overview")
    axe.assert_none()


def test_the_account_security_pages(page, axe, make_member):
    make_member("nina", first_name="Nina", with_questions=False)
    page.goto("/accounts/login/")
    sign_in(page, "nina", MEMBER_PASSWORD)
    expect(page.get_by_role("heading", name="Choose your security questions")).to_be_visible()
    axe.check("first sign-in: choose security questions")
    page.get_by_role("button", name="Save my questions").click()
    axe.check("choose security questions, refused")
    for n, question in enumerate(list(QUESTIONS.values())[:3], start=1):
        page.get_by_label(f"Question {n}", exact=True).select_option(label=question)
        page.get_by_label(f"Answer to question {n}").fill(f"an answer of mine {n}")
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Save my questions").click()
    expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
    axe.check("home without coverage")

    for name, path in {
        "security settings": "/accounts/security/",
        "change security questions": "/accounts/security/questions/",
        "change password": "/accounts/security/password/",
        "sign-in activity": "/accounts/security/activity/",
        "active sessions": "/accounts/security/sessions/",
        "two-factor sign-in": "/accounts/security/two-factor/",
        "remove two-factor sign-in": "/accounts/security/two-factor/remove/",
        "ID card without coverage": "/id-card/",
        "claims without coverage": "/claims/",
    }.items():
        visit(page, path)
        axe.check(name)

    visit(page, "/accounts/security/password/")
    page.get_by_label("Your current password").fill("not it")
    page.get_by_role("button", name="Change password").click()
    axe.check("change password, refused")

    visit(page, "/accounts/security/two-factor/setup/")
    axe.check("two-factor setup: password")
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Confirm")).to_be_visible()
    axe.check("two-factor setup: QR code")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username="nina")
    page.get_by_label(re.compile("code your app shows")).fill(totp_code(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=re.compile("backup codes", re.I))).to_be_visible()
    axe.check("two-factor setup: backup codes")
    visit(page, "/accounts/security/two-factor/")
    axe.check("two-factor sign-in, on")
    page.get_by_label("Your current password").fill("not it")
    page.get_by_role("button", name="Make new backup codes").click()
    axe.check("two-factor sign-in, new backup codes refused")
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Make new backup codes").click()
    expect(page.get_by_role("heading", name=re.compile("backup codes", re.I))).to_be_visible()
    axe.check("new backup codes")
    axe.assert_none()


def test_the_checker_itself_reports_a_known_violation(page, axe):
    page.set_content('<html lang="en"><title>Test</title><main><h1>Test</h1><img src="x.png"></main></html>')
    axe.check("an image without a text alternative")
    assert [v["rule"] for v in axe.violations["an image without a text alternative"]] == ["image-alt"]
    with pytest.raises(AssertionError, match="image-alt"):
        axe.assert_none()


def test_the_checker_itself_fails_a_page_it_cannot_decide(page, axe):
    # Text over a background image: axe cannot compute its contrast, so the result is "incomplete".
    page.set_content(
        '<html lang="en"><title>Test</title><main><h1>Test</h1>'
        '<p style="background-image: linear-gradient(#fff, #000)">Over a gradient</p></main></html>'
    )
    axe.check("text over a background image")
    assert not axe.violations
    assert [v["rule"] for v in axe.incomplete["text over a background image"]] == ["color-contrast"]
    with pytest.raises(AssertionError, match="undecided color-contrast"):
        axe.assert_none()
