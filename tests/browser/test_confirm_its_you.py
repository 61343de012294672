"""The "Confirm it's you" page in a real browser: a return from outside locks every tab until the password is given.

A page.goto of a portal address while signed in is a return from outside (a bookmark); once
signed in, the tabs move by clicking links, as a member would within the portal.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path("/work/notes/shots")
REASON = "You came back to the portal from outside it, so we ask for your password again."
CONFIRM_PAGE = re.compile(r"/accounts/confirm/\?next=")


def sign_in_first(page):
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SHOTS / f"job_R-{name}-{width}x{height}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_return_from_outside_locks_every_tab_until_the_password_is_given(page, make_member):
    make_member("alice")
    other = page.context.new_page()
    other.goto("/accounts/login/")  # opened before signing in, so not a return
    sign_in_first(page)
    other.get_by_role("contentinfo").get_by_role("link", name="How we protect your account").click()
    other.get_by_role("banner").get_by_role("link", name="Security settings").click()
    expect(other.get_by_role("heading", name="Security settings")).to_be_visible()

    page.goto("/claims/")  # a bookmark
    expect(page).to_have_url(CONFIRM_PAGE)
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(REASON)
    expect(page.get_by_text("Alice (alice)")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_count(0)  # shown, not editable
    shoot(page, "confirm")

    # The other tab's next click shows the reason, not the page.
    other.get_by_role("link", name="Active sessions").click()
    expect(other).to_have_url(CONFIRM_PAGE)
    expect(other.get_by_role("status")).to_contain_text(REASON)

    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("That is not your current password.")
    shoot(page, "confirm-wrong")
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your claims")).to_be_visible()

    # Confirmed once: the other tab carries on with its next click.
    other.get_by_role("banner").get_by_role("link", name="Security settings").click()
    expect(other.get_by_role("heading", name="Security settings")).to_be_visible()


def test_the_idle_limit_still_ends_a_locked_session(page, make_member, clocks):
    make_member("alice")
    sign_in_first(page)
    page.goto("/accounts/security/")  # a bookmark
    expect(page).to_have_url(CONFIRM_PAGE)
    # Waiting on the confirm page is no activity: the session ends at the idle limit.
    clocks.run(settings.PORTAL_IDLE_TIMEOUT_SECONDS)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?signed_out=idle"))
    expect(page.get_by_role("status")).to_contain_text("without activity")
    page.get_by_role("contentinfo").get_by_role("link", name="How we protect your account").click()
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_have_count(0)
