"""Signing in and out as a member does it, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.browser

GENERIC_FAILURE = "The username or password is not correct"
FROZEN = "This account is frozen"
SIGN_IN_PAGE = re.compile(r"/accounts/login/")


def go_back(page):
    # A page restored from the back/forward cache fires no load event: wait for the commit, then
    # for the footer, the last part of every page.
    page.go_back(wait_until="commit")
    expect(page.get_by_role("contentinfo")).to_be_visible()


def fail_five_times(page, username):
    """What the member sees after each of five wrong passwords: the alert and the page's text."""
    page.goto("/accounts/login/")
    seen = []
    for attempt in range(1, 6):
        sign_in(page, username, f"wrong guess {attempt}")
        expect(page.get_by_role("alert")).to_be_visible()
        # The password typed is never written back into the page (the frozen page has no form).
        if attempt < 5:
            expect(page.get_by_label("Password")).to_have_value("")
        else:
            expect(page.get_by_label("Password")).to_have_count(0)
        seen.append((page.get_by_role("alert").inner_text(), page.locator("main").inner_text()))
    return seen


def assert_four_generic_then_frozen(seen):
    for alert, _ in seen[:4]:
        assert GENERIC_FAILURE in alert and FROZEN not in alert
    frozen_alert = seen[4][0]
    assert FROZEN in frozen_alert
    assert "security questions" in frozen_alert and "Member Support" in frozen_alert


def test_it_signs_in_and_out_from_the_top_right_corner(page, make_member):
    make_member(username="alice", first_name="Alice")

    page.goto("/?from=bookmark")
    expect(page).to_have_url(SIGN_IN_PAGE)
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    # Hints for the password manager, so it can offer and save the right entry (and, where the browser
    # offers passkey autofill, its passkeys: the page's script adds "webauthn" then).
    expect(page.get_by_label("Username")).to_have_attribute("autocomplete", re.compile(r"^username( webauthn)?$"))
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")

    sign_in(page, "alice", MEMBER_PASSWORD)
    expect(page).to_have_url(re.compile(r"/\?from=bookmark$"))
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()

    sign_out = page.get_by_role("button", name="Sign out")
    box = sign_out.bounding_box()
    assert box is not None
    assert page.viewport_size["width"] - (box["x"] + box["width"]) < 60, box
    assert box["y"] < 60, box

    sign_out.click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # Back must not bring the member's page out of the back/forward cache, nor reload fetch it.
    go_back(page)
    expect(page.get_by_text("Welcome, Alice")).to_have_count(0)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    page.reload()
    expect(page).to_have_url(SIGN_IN_PAGE)
    expect(page.get_by_text("Welcome, Alice")).to_have_count(0)


def test_it_freezes_the_account_after_five_wrong_passwords(page, make_member):
    make_member(username="alice")

    seen = fail_five_times(page, "alice")
    assert_four_generic_then_frozen(seen)

    # The right password, from the sign-in page again, is refused too.
    page.get_by_role("link", name="Sign in with a different username").click()
    sign_in(page, "alice", MEMBER_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text(FROZEN)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_it_tells_an_unknown_username_the_same_thing(page, make_member):
    make_member(username="alice")

    for_unknown = fail_five_times(page, "nobody-by-this-name")
    assert_four_generic_then_frozen(for_unknown)
    for_member = fail_five_times(page, "alice")
    # Word for word what a real member sees, so the page does not reveal who has an account.
    assert for_unknown == for_member
