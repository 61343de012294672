"""The set-up page's QR code, as a phone camera sees it on a desktop and on a phone screen (real Chromium)."""

import base64
import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import open_two_factor_setup

pytestmark = pytest.mark.browser

SHOTS = Path("/work/notes/shots")


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_the_qr_code_scans_to_the_key_printed_beside_it(page, make_member, width, height):
    make_member("alice", first_name="Alice")
    page.set_viewport_size({"width": width, "height": height})
    open_two_factor_setup(page)

    qr = page.get_by_role("figure", name="QR code for your authenticator app").locator("svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] == pytest.approx(box["height"], abs=1)
    assert 150 <= box["width"] <= width - 32  # big enough to scan, never wider than the screen
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"P-qr-setup-{width}x{height}.png"), full_page=True)

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert len(found) == 1, "the QR code on the page does not scan"
    address = urlparse(found[0].text)
    assert address.scheme == "otpauth" and address.netloc == "totp"
    scanned_secret = parse_qs(address.query)["secret"][0]
    printed_secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert base64.b32decode(scanned_secret + "=" * (-len(scanned_secret) % 8)) == base64.b32decode(printed_secret)
