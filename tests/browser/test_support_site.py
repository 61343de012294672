"""A support agent opens a frozen member, reads the facts, and ends a session with a reason (real Chromium)."""

import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from playwright.sync_api import expect

from security.models import SecurityEvent
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import Axe
from tests.conftest import support_role, totp_code

pytestmark = pytest.mark.browser

SHOTS = Path("/work/notes/shots")
PHONE = {"width": 390, "height": 844}


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"S-{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"S-{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_agent_sees_a_frozen_members_facts_and_ends_a_session(page, make_member, enroll_totp):
    agent = make_member("sam", first_name="Sam", is_staff=True, with_questions=False)
    agent.groups.add(support_role("Support"))
    device = enroll_totp(agent)
    fred = make_member("fred", first_name="Fred")
    Client().force_login(fred)
    # Frozen by five failures recorded after that sign-in, as axes stores them (a freeze through the
    # sign-in form would also end the session, and the page is to show one to end).
    AccessAttempt.objects.create(
        username="fred",
        ip_address="203.0.113.9",
        user_agent="",
        http_accept="",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )

    page.goto("/admin/")
    sign_in(page, "sam")
    page.get_by_label(re.compile("Code from your authenticator app")).fill(totp_code(device))
    page.get_by_role("button", name="Verify and sign in").click()

    page.get_by_role("link", name="Members", exact=True).first.click()
    frozen_cell = page.locator("#result_list tbody tr", has_text="fred").locator("td.field-frozen")
    expect(frozen_cell).to_have_text("Frozen")
    shoot(page, "members-list")
    page.get_by_role("link", name="fred", exact=True).click()

    facts = page.locator("section.member-facts")
    expect(facts.get_by_role("heading", name="At a glance")).to_be_visible()
    expect(facts).to_contain_text("Frozen")
    expect(facts).to_contain_text("5 failed sign-ins")
    expect(facts).to_contain_text("No coverage on file")
    expect(facts.get_by_role("heading", name="Active sessions (1)")).to_be_visible()
    expect(page.get_by_text("150 characters or fewer")).to_have_count(0)
    axe = Axe(page)
    axe.check("member page in the support site")
    shoot(page, "member-page")

    facts.get_by_label("Reason", exact=True).fill("Caller says the laptop was stolen")
    facts.get_by_role("button", name="End this session").click()
    expect(page.get_by_text("Ended 1 session.")).to_be_visible()
    expect(page.get_by_role("heading", name="Active sessions (0)")).to_be_visible()
    axe.check("member page after ending a session")
    axe.assert_none()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SESSION_ENDED, actor="sam")
    assert (event.member, event.reason) == (fred, "Caller says the laptop was stolen")

    page.get_by_role("link", name="All of this member's events in the audit log").click()
    expect(page.locator("#result_list tbody tr").first).to_contain_text("Session ended by the member or staff")


def test_the_security_overview_has_labelled_axes(page, make_member, enroll_totp):
    agent = make_member("sam", is_staff=True, with_questions=False)
    agent.groups.add(support_role("Support"))
    device = enroll_totp(agent)
    page.goto("/admin/")
    sign_in(page, "sam")
    page.get_by_label(re.compile("Code from your authenticator app")).fill(totp_code(device))
    page.get_by_role("button", name="Verify and sign in").click()
    page.get_by_role("link", name="Security overview").click()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    shoot(page, "overview")
