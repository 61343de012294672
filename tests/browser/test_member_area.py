"""The member area as a new member uses it, in a real Chromium: sign in, print the ID card, download
its PDF, read an explanation of benefits; and the same by keyboard alone."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.services import create_member
from portal.models import Claim, Enrollment
from security.questions import QUESTIONS
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "a demo passphrase for the tests"
CARD_WIDTH_PX = 85.6 / 25.4 * 96  # the real card's width in CSS pixels


@pytest.fixture
def demo(db):
    """The demo member as scripts/run-portal leaves it: a new account, then seed_demo's data."""
    member = create_member(
        username="demo",
        email="demo@example.com",
        password=DEMO_PASSWORD,
        first_name="Dana",
        last_name="Demo",
        actor="test",
    )
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    return member


@pytest.fixture
def csp_violations(page):
    """Every Content-Security-Policy complaint the browser logs while the test runs."""
    seen = []

    def note(message):
        if "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("console", note)
    return seen


def choose_questions(page, password):
    expect(page.get_by_role("heading", name="Choose your security questions")).to_be_visible()
    for n, question in enumerate(list(QUESTIONS.values())[:3], start=1):
        page.get_by_label(f"Question {n}", exact=True).select_option(label=question)
        page.get_by_label(f"Answer to question {n}").fill(f"my own answer number {n}")
    page.get_by_label("Your current password").fill(password)
    page.get_by_role("button", name="Save my questions").click()


def money(text):
    return Decimal(text.replace("$", "").replace(",", ""))


def test_a_new_member_signs_in_prints_the_card_downloads_its_pdf_and_reads_an_eob(page, demo, csp_violations, tmp_path):
    enrollment = Enrollment.objects.get(member=demo)
    card_id = f"{enrollment.member_number}-00"

    page.goto("/")
    sign_in(page, "demo", DEMO_PASSWORD)
    choose_questions(page, DEMO_PASSWORD)

    # Home: greeting, plan, spending bars, latest claims.
    expect(page.get_by_role("heading", name="Welcome, Dana")).to_be_visible()
    expect(page.get_by_text("Silver PPO 2500")).to_be_visible()
    deductible = page.get_by_role("progressbar", name="Your deductible")
    expect(deductible).to_be_visible()
    assert 0 < float(deductible.get_attribute("value")) <= float(deductible.get_attribute("max"))
    expect(page.get_by_role("progressbar")).to_have_count(4)  # the member's and the family's
    expect(page.get_by_role("region", name="Your five most recent claims").get_by_role("row")).to_have_count(6)

    # The ID card, printed: only the card, front and back, at the real card's size.
    page.get_by_role("navigation", name="Member area").get_by_role("link", name="ID card").click()
    expect(page.get_by_role("heading", name="Your ID card")).to_be_visible()
    expect(page.locator(".id-card-front")).to_contain_text(card_id)
    # Headless Chromium has no print dialog: count the calls instead.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print this card").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    page.screenshot(path=tmp_path / "id-card-print.png", full_page=True)
    for hidden in ("banner", "contentinfo"):
        expect(page.get_by_role(hidden)).to_be_hidden()
    expect(page.get_by_role("navigation", name="Member area")).to_be_hidden()
    expect(page.get_by_role("heading", name="Your ID card")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this card")).to_be_hidden()
    for face in (page.locator(".id-card-front"), page.locator(".id-card-back")):
        expect(face).to_be_visible()
        assert abs(face.bounding_box()["width"] - CARD_WIDTH_PX) < 2
    page.emulate_media(media="screen")

    # Its PDF, made on the server: a real PDF with the member ID on it.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download PDF")).click()
    download = download_info.value
    assert download.suggested_filename == f"id-card-{card_id}.pdf"
    pdf = PdfReader(download.path())
    text = pdf.pages[0].extract_text()
    assert card_id in text and "Dana Demo" in text and enrollment.group_number in text

    # An explanation of benefits: each service line, and totals that add up.
    page.get_by_role("navigation", name="Member area").get_by_role("link", name="Claims").click()
    expect(page.get_by_role("heading", name="Your claims")).to_be_visible()
    processed = Claim.objects.filter(enrollment=enrollment, status=Claim.Status.PROCESSED).first()
    page.get_by_role("link", name=f"Claim {processed.claim_number}").click()
    expect(page.get_by_role("heading", name="Explanation of benefits")).to_be_visible()
    table = page.get_by_role("table")
    lines = table.locator("tbody tr")
    expect(lines).to_have_count(processed.lines.count())
    owed = [money(text) for text in lines.locator("td.owe").all_inner_texts()]
    total_owed = money(table.locator("tfoot td.owe").inner_text())
    assert total_owed == sum(owed)
    assert csp_violations == []


def test_it_goes_from_home_to_the_id_card_by_keyboard_alone(page, demo):
    demo.security_questions_set_at = timezone.now()
    demo.save()
    page.goto("/accounts/login/")
    sign_in(page, "demo", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Dana")).to_be_visible()

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "ID card":
            break
    link = page.get_by_role("navigation", name="Member area").get_by_role("link", name="ID card")
    expect(link).to_be_focused()
    # The focused link is marked so a sighted keyboard user can see where they are.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your ID card")).to_be_visible()

    # On to the PDF download, still by keyboard.
    for _ in range(25):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()").startswith("Download PDF"):
            break
    expect(page.get_by_role("link", name=re.compile("Download PDF"))).to_be_focused()


def test_another_members_pages_are_not_found_in_the_browser_either(page, demo, make_member):
    make_member("bob", password=DEMO_PASSWORD)
    page.goto("/accounts/login/")
    sign_in(page, "bob", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Bob")).to_be_visible()
    enrollment = Enrollment.objects.get(member=demo)
    claim = Claim.objects.filter(enrollment=enrollment).first()
    for path in (f"/claims/{claim.claim_number}/", f"/id-card/{enrollment.member_number}-00/"):
        with page.expect_navigation() as navigation:
            page.evaluate("path => window.location.assign(path)", path)
        assert navigation.value.status == 404
        expect(page.get_by_text(enrollment.member_number)).to_have_count(0)
        expect(page.get_by_text("Dana")).to_have_count(0)
