"""Keeping the backup codes shown once: printing them, and downloading them as a text file (real Chromium)."""

import base64
import re
import time
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser.conftest import open_two_factor_setup

pytestmark = pytest.mark.browser

SHOTS = Path("/work/notes/shots")


def code_for(secret_text):
    totp = TOTP(base64.b32decode(secret_text.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


def show_backup_codes(page):
    open_two_factor_setup(page)
    page.get_by_label("The 6-digit code your app shows now").fill(code_for(page.locator("#totp-secret").inner_text()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    return page.locator(".backup-codes code").all_inner_texts()


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_it_downloads_the_codes_shown_as_a_text_file(page, make_member, page_errors, width, height):
    make_member("alice", first_name="Alice", last_name="Example")
    page.set_viewport_size({"width": width, "height": height})
    codes = show_backup_codes(page)
    assert len(codes) == 10
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"P-backup-codes-{width}x{height}.png"), full_page=True)
    requests = []
    page.on("request", lambda request: requests.append(request))
    with page.expect_download() as started:
        page.get_by_role("button", name="Download as a text file").click()
    download = started.value
    assert re.fullmatch(r"backup-codes-alice-\d{4}-\d{2}-\d{2}\.txt", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8")
    assert re.findall(r"^[a-z2-9]{5}-[a-z2-9]{5}$", text, flags=re.MULTILINE) == codes
    assert "For Alice Example (alice), made on" in text
    assert [r.url for r in requests if not r.url.startswith("blob:")] == []  # made in the page: nothing sent
    assert page_errors == []


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_it_prints_only_the_codes_the_name_and_the_date(page, make_member, width, height):
    make_member("alice", first_name="Alice", last_name="Example")
    page.set_viewport_size({"width": width, "height": height})
    codes = show_backup_codes(page)
    expect(page.get_by_role("button", name="Print these codes")).to_be_visible()
    page.emulate_media(media="print")
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"P-backup-codes-print-{width}x{height}.png"), full_page=True)
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.locator("#backup-codes-owner")).to_contain_text("For Alice Example (alice), made on")
    assert page.locator(".backup-codes code").all_inner_texts() == codes
    for hidden in (
        page.get_by_role("banner"),
        page.get_by_role("button"),
        page.get_by_text("they will not be shown again"),
    ):
        expect(hidden.first).to_be_hidden()
    expect(page.get_by_role("link", name="Done")).to_be_hidden()
