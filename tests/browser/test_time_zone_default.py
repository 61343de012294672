"""The browser's own time zone becomes the member's once, after sign-in, and never overwrites a choice."""

import pytest

from tests.browser.conftest import VIEWPORT, sign_in

SHOTS = "/work/notes/shots"


@pytest.fixture
def tokyo_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def wait_for_time_zone(member, expected, page):
    for _ in range(50):
        member.refresh_from_db()
        if member.time_zone == expected:
            return
        page.wait_for_timeout(100)


def test_the_browser_zone_is_stored_once_and_shown(tokyo_page, live_member):
    page = tokyo_page
    page.goto("/")
    sign_in(page, "alice")
    wait_for_time_zone(live_member, "Asia/Tokyo", page)
    assert live_member.time_zone == "Asia/Tokyo"
    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("link", name="Sign-in activity").click()
    assert page.get_by_role("columnheader", name="When (your time, Asia/Tokyo)").is_visible()
    assert "JST" in page.locator("tbody").inner_text()
    page.screenshot(path=f"{SHOTS}/job_Z-activity-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/job_Z-activity-390.png", full_page=True)
    page.set_viewport_size(VIEWPORT)


def test_the_browser_zone_never_replaces_a_chosen_one(tokyo_page, live_member):
    live_member.time_zone = "America/Chicago"
    live_member.save(update_fields=["time_zone"])
    page = tokyo_page
    page.goto("/")
    sign_in(page, "alice")
    assert page.locator('script[src*="time-zone"]').count() == 0
    page.wait_for_timeout(300)
    live_member.refresh_from_db()
    assert live_member.time_zone == "America/Chicago"
    page.get_by_role("link", name="Profile").first.click()
    page.screenshot(path=f"{SHOTS}/job_Z-profile-1280.png", full_page=True)
    page.get_by_role("link", name="Change time zone").click()
    page.get_by_role("combobox", name="Time zone").select_option("America/Los_Angeles")
    page.get_by_role("button", name="Save time zone").click()
    assert "America/Los_Angeles" in page.content()
    live_member.refresh_from_db()
    assert live_member.time_zone == "America/Los_Angeles"
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/job_Z-profile-390.png", full_page=True)


def test_a_bookmark_as_the_first_page_after_sign_in_stores_the_browser_zone(tokyo_page, live_member):
    page = tokyo_page
    page.goto("/claims/")  # a bookmarked page: sign-in first, then the page itself
    sign_in(page, "alice")
    page.wait_for_url("**/claims/")
    assert page.locator('script[src*="time-zone"]').count() == 1
    wait_for_time_zone(live_member, "Asia/Tokyo", page)
    assert live_member.time_zone == "Asia/Tokyo"
    # Stored once: the next page no longer asks.
    page.get_by_role("link", name="Profile").first.click()
    assert page.locator('script[src*="time-zone"]').count() == 0
    assert "Asia/Tokyo" in page.locator("main").inner_text()


def test_a_bookmark_never_replaces_a_chosen_zone(tokyo_page, live_member):
    live_member.time_zone = "America/Chicago"
    live_member.save(update_fields=["time_zone"])
    page = tokyo_page
    page.goto("/claims/")
    sign_in(page, "alice")
    page.wait_for_url("**/claims/")
    assert page.locator('script[src*="time-zone"]').count() == 0
    page.wait_for_timeout(300)
    live_member.refresh_from_db()
    assert live_member.time_zone == "America/Chicago"
