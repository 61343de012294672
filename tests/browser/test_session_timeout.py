"""The session ends when the member steps away, and they are told before it does (real Chromium).

The real policy (15 minutes idle, warned 2 minutes before) on paused clocks: the page's (Playwright's
page.clock) and the server's (the clock fixture) move together only when a test says so, so a
quarter of an hour passes in a moment and every timer fires exactly when it would.
"""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.browser

KEEP_ALIVE = "**/accounts/session/keep-alive/"


def signed_in(page, make_member):
    make_member("alice")
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def the_dialog(page):
    return page.get_by_role("alertdialog", name="Are you still there?")


def warned(page, clocks):
    """Idle until the warning: the dialog opens at its moment, not a second before."""
    dialog = the_dialog(page)
    clocks.run(settings.PORTAL_IDLE_TIMEOUT_SECONDS - settings.PORTAL_IDLE_WARNING_SECONDS - 1)
    expect(dialog).to_be_hidden()
    clocks.tick()
    expect(dialog).to_be_visible()
    return dialog


def countdown_seconds(dialog):
    minutes, seconds = dialog.locator("#session-timeout-countdown").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def spoken(page):
    """What the dialog's polite live region says."""
    return page.locator("#session-timeout-announcement")


def focused_in(dialog):
    return dialog.evaluate("dialog => dialog.contains(document.activeElement)")


def test_it_warns_counts_down_and_keeps_the_session_on_request(page, make_member, clocks, page_errors):
    signed_in(page, make_member)
    dialog = warned(page, clocks)
    assert dialog.evaluate("dialog => dialog.matches(':modal')")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    first = countdown_seconds(dialog)
    assert first == settings.PORTAL_IDLE_WARNING_SECONDS
    clocks.tick(2)
    assert 0 < countdown_seconds(dialog) == first - 2
    stay.click()
    expect(dialog).to_be_hidden()
    # Past the moment the session would have ended without the click:
    clocks.run(first + 1)
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    assert page_errors == []


def test_it_keeps_focus_in_the_dialog_and_escape_stays_signed_in(page, make_member, clocks, page_errors):
    signed_in(page, make_member)
    dialog = warned(page, clocks)
    stay = dialog.get_by_role("button", name="Stay signed in")
    sign_out = dialog.get_by_role("button", name="Sign out")
    expect(stay).to_be_focused()
    # Round and round the dialog's two buttons, either way: the page behind is out of reach.
    for key, lands_on in [("Tab", sign_out), ("Tab", stay), ("Shift+Tab", sign_out), ("Shift+Tab", stay)]:
        page.keyboard.press(key)
        expect(lands_on).to_be_focused()
        assert focused_in(dialog), f"focus left the dialog after {key}"
    # Escape does what "Stay signed in" does.
    page.keyboard.press("Escape")
    clocks.tick()
    expect(dialog).to_be_hidden()
    clocks.run(settings.PORTAL_IDLE_WARNING_SECONDS + 1)
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    assert page_errors == []


def test_it_says_the_time_left_politely_about_once_a_minute(page, make_member, clocks):
    signed_in(page, make_member)
    dialog = warned(page, clocks)
    countdown = dialog.locator("#session-timeout-countdown")
    # The visible countdown ticks each second without being read out each second.
    assert countdown.evaluate("node => node.closest('[aria-live]') === null")
    expect(spoken(page)).to_have_attribute("aria-live", "polite")
    expect(spoken(page)).to_have_text("You will be signed out in 2 minutes unless you stay signed in.")
    clocks.run(59)
    expect(countdown).to_have_text("1:01")
    expect(spoken(page)).to_have_text("You will be signed out in 2 minutes unless you stay signed in.")
    clocks.tick()
    expect(countdown).to_have_text("1:00")
    expect(spoken(page)).to_have_text("You will be signed out in 1 minute unless you stay signed in.")
    clocks.run(49)
    expect(countdown).to_have_text("0:11")
    expect(spoken(page)).to_have_text("You will be signed out in 1 minute unless you stay signed in.")
    clocks.tick()
    expect(spoken(page)).to_have_text("You will be signed out in 10 seconds unless you stay signed in.")


@pytest.mark.parametrize("status", [500, 503])
def test_it_says_so_in_the_dialog_when_staying_signed_in_fails(page, make_member, clocks, page_errors, status):
    signed_in(page, make_member)
    dialog = warned(page, clocks)
    page.route(KEEP_ALIVE, lambda route: route.fulfill(status=status, content_type="text/html", body="<h1>Error</h1>"))
    stay = dialog.get_by_role("button", name="Stay signed in")
    stay.click()
    clocks.tick()
    expect(dialog.get_by_role("alert")).to_have_text("We could not keep you signed in just now. Please try again.")
    expect(dialog).to_be_visible()
    expect(stay).to_be_focused()
    assert page_errors == []
    # The countdown goes on, and trying again once the portal answers works.
    before = countdown_seconds(dialog)
    clocks.tick()
    assert countdown_seconds(dialog) == before - 1
    page.unroute(KEEP_ALIVE)
    stay.click()
    clocks.tick()
    expect(dialog).to_be_hidden()
    clocks.run(settings.PORTAL_IDLE_WARNING_SECONDS)
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    assert page_errors == []


def test_it_lands_on_sign_in_saying_why_when_time_runs_out(page, make_member, clocks):
    signed_in(page, make_member)
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    warned(page, clocks)
    clocks.run(settings.PORTAL_IDLE_WARNING_SECONDS - 1)
    expect(page).to_have_url(re.compile(r"/accounts/security/$"))
    clocks.tick()
    # Sign-in with the reason and the page kept (the page's timer and the server write the two
    # parameters in different orders).
    expect(page).to_have_url(
        re.compile(r"/accounts/login/\?(?=.*\bsigned_out=idle\b)(?=.*\bnext=%2Faccounts%2Fsecurity%2F(&|$))")
    )
    expect(page.get_by_role("status")).to_contain_text("signed out after 15 minutes")
    # The server agrees: the session is over.
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()


def test_it_keeps_tabs_in_step(page, make_member, clocks):
    signed_in(page, make_member)
    with page.context.expect_page() as opened:
        page.evaluate("window.open('/accounts/security/', '_blank')")
    other = opened.value
    expect(other.get_by_role("heading", name="Security settings")).to_be_visible()
    dialogs = [the_dialog(tab) for tab in (page, other)]
    clocks.run(settings.PORTAL_IDLE_TIMEOUT_SECONDS - settings.PORTAL_IDLE_WARNING_SECONDS)
    for dialog in dialogs:
        expect(dialog).to_be_visible()
    # Staying signed in from one tab puts the warning away in both.
    dialogs[0].get_by_role("button", name="Stay signed in").click()
    for dialog in dialogs:
        expect(dialog).to_be_hidden()
    clocks.run(settings.PORTAL_IDLE_WARNING_SECONDS + 1)
    for dialog in dialogs:
        expect(dialog).to_be_hidden()
    # Signing out in one signs out both.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    expect(other.get_by_role("heading", name="You are signed out")).to_be_visible()
    other.go_back()
    expect(other).to_have_url(re.compile(r"/accounts/(login|signed-out)/"))


def test_it_asks_for_the_password_again_after_leaving_and_typing_the_address(page, make_member, live_server):
    signed_in(page, make_member)
    page.goto("about:blank")
    page.goto(f"{live_server.url}/accounts/security/")  # typed in, or a bookmark
    expect(page).to_have_url(re.compile(r"/accounts/confirm/\?next=%2Faccounts%2Fsecurity%2F$"))
    expect(page.get_by_role("status")).to_contain_text("so we ask for your password again")
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()


def test_it_goes_on_as_usual_when_reloading_or_going_back(page, make_member):
    signed_in(page, make_member)
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
