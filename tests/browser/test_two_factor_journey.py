"""Turning on two-factor sign-in and signing in with it, as a member would (real Chromium)."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser.conftest import open_two_factor_setup, sign_in

pytestmark = pytest.mark.browser


def code_for(secret_text, at=None):
    """What an authenticator app shows for the key printed on the setup page."""
    key = base64.b32decode(secret_text.replace(" ", ""))
    totp = TOTP(key)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def test_it_turns_on_two_factor_and_signs_in_with_a_code(page, make_member):
    make_member("alice", first_name="Alice")
    open_two_factor_setup(page)

    expect(page.get_by_role("figure", name="QR code for your authenticator app").locator("svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    confirmed_at = time.time()
    page.get_by_label("The 6-digit code your app shows now").fill(code_for(secret, at=confirmed_at))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes = page.locator(".backup-codes code").all_inner_texts()
    assert len(codes) == 10

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label(re.compile("Code from your authenticator app")).fill("000000")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not correct")
    # The code of the step after the one used to confirm (which cannot be used twice). Counted from
    # the confirmation, not from now: a confirmation that straddled a step boundary shifts django-otp's drift.
    page.get_by_label(re.compile("Code from your authenticator app")).fill(code_for(secret, at=confirmed_at + 30))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()

    # A backup code works once, in place of the app.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    page.get_by_label(re.compile("Code from your authenticator app")).fill(codes[0])
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()


def test_the_support_site_refuses_staff_without_a_second_factor(page, make_member):
    make_member("sam", is_staff=True, is_superuser=True)
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/admin/"))
    sign_in(page, "sam")
    # A password alone is not enough: staff are sent to set up two-factor sign-in first.
    expect(page.get_by_role("heading", name="Turn on two-factor sign-in")).to_be_visible()
    expect(page.get_by_text("Support staff need two-factor sign-in")).to_be_visible()
    page.get_by_role("link", name="Member Portal").click()
    expect(page.get_by_role("heading", name="Turn on two-factor sign-in")).to_be_visible()
