"""The session ends when the member steps away, and they are told before it does (real Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.browser

# Long enough that a loaded machine's delays stay well inside each margin. After "Stay signed in"
# the warning comes back IDLE - WARNING seconds later, so that must outlast the wait below.
IDLE_SECONDS = 30
WARNING_SECONDS = 10


@pytest.fixture
def short_sessions(settings):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = IDLE_SECONDS
    settings.PORTAL_IDLE_WARNING_SECONDS = WARNING_SECONDS


def sign_in(page, make_member):
    make_member("alice")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def countdown_seconds(dialog):
    minutes, seconds = dialog.locator("#session-timeout-countdown").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def test_it_warns_counts_down_and_keeps_the_session_on_request(page, make_member, short_sessions):
    sign_in(page, make_member)
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=(IDLE_SECONDS - WARNING_SECONDS + 3) * 1000)
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    first = countdown_seconds(dialog)
    page.wait_for_timeout(2100)
    assert 0 < countdown_seconds(dialog) < first <= WARNING_SECONDS
    stay.click()
    expect(dialog).to_be_hidden()
    # Past the moment the session would have ended without the click (and before the warning's
    # next turn, IDLE - WARNING seconds after it):
    page.wait_for_timeout((first + 1) * 1000)
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()


def test_it_lands_on_sign_in_saying_why_when_time_runs_out(page, make_member, short_sessions):
    sign_in(page, make_member)
    page.get_by_role("link", name="Security settings").click()
    # Sign-in with the reason and the page kept, whether the page's timer or the server got there
    # first (they write the two parameters in different orders).
    expect(page).to_have_url(
        re.compile(r"/accounts/login/\?(?=.*\bsigned_out=idle\b)(?=.*\bnext=%2Faccounts%2Fsecurity%2F(&|$))"),
        timeout=(IDLE_SECONDS + 5) * 1000,
    )
    expect(page.get_by_role("status")).to_contain_text("signed out after")
    # The server agrees: the session is over.
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()


def test_it_keeps_tabs_in_step(page, make_member, short_sessions):
    sign_in(page, make_member)
    with page.context.expect_page() as opened:
        page.evaluate("window.open('/accounts/security/', '_blank')")
    other = opened.value
    expect(other.get_by_role("heading", name="Security settings")).to_be_visible()
    dialogs = [tab.get_by_role("alertdialog") for tab in (page, other)]
    for dialog in dialogs:
        expect(dialog).to_be_visible(timeout=(IDLE_SECONDS - WARNING_SECONDS + 3) * 1000)
    # Staying signed in from one tab puts the warning away in both.
    dialogs[0].get_by_role("button", name="Stay signed in").click()
    for dialog in dialogs:
        expect(dialog).to_be_hidden()
    # Signing out in one signs out both.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    expect(other.get_by_role("heading", name="You are signed out")).to_be_visible()
    other.go_back()
    expect(other).to_have_url(re.compile(r"/accounts/(login|signed-out)/"))


def test_it_asks_for_the_password_again_after_leaving_and_typing_the_address(page, make_member, live_server):
    sign_in(page, make_member)
    page.goto("about:blank")
    page.goto(f"{live_server.url}/accounts/security/")  # typed in, or a bookmark
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Faccounts%2Fsecurity%2F&signed_out=returned"))
    expect(page.get_by_role("status")).to_contain_text("please sign in again")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()


def test_it_goes_on_as_usual_when_reloading_or_going_back(page, make_member):
    sign_in(page, make_member)
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
