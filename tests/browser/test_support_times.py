"""The support site in real Chromium: the overview chart's HTML labels at desktop and phone width, and
times in the staff member's own zone, taken from the browser as members' are."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from security import chain
from security.models import SecurityEvent
from tests.browser.conftest import VIEWPORT, sign_in
from tests.browser.test_accessibility import Axe
from tests.browser.test_support_site import PHONE, shoot
from tests.conftest import support_role, totp_code

pytestmark = pytest.mark.browser


def failed_hours_ago(*hours):
    """Failed sign-ins as they were written that many hours ago, oldest first (ids grow with time)."""
    now = timezone.now()
    for ago in sorted(hours, reverse=True):
        event = SecurityEvent(
            kind=SecurityEvent.Kind.SIGN_IN_FAILED, created_at=now - timedelta(hours=ago), username="guess"
        )
        event.row_hash = chain.entry_mac(event)
        event.save(force_insert=True)


def sign_in_to_support_site(page, staff, device):
    page.goto("/admin/")
    sign_in(page, staff.username)
    page.get_by_label(re.compile("Code from your authenticator app")).fill(totp_code(device))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("link", name="Security overview")).to_be_visible()


def boxes(page):
    return page.evaluate(
        """() => {
          const box = selector => document.querySelector(selector).getBoundingClientRect().toJSON();
          return {
            plot: box(".chart-plot"), yTitle: box(".chart-y-title"), yTicks: box(".chart-y-ticks"),
            xTitle: box(".chart-x-title"),
            days: [...document.querySelectorAll(".chart-days li")].map(li => li.getBoundingClientRect().toJSON()),
            labels: [...document.querySelectorAll(".chart-days span")].map(s => s.getBoundingClientRect().toJSON()),
            scroll: document.documentElement.scrollWidth, width: window.innerWidth,
          };
        }"""
    )


def assert_laid_out_around_the_plot(found):
    plot = found["plot"]
    assert plot["width"] > 250 and plot["height"] > 120, plot
    assert found["yTitle"]["right"] <= found["yTicks"]["left"] + 1 and found["yTicks"]["right"] <= plot["left"] + 1
    assert len(found["days"]) == 7
    for day in found["days"]:
        # Each day's label sits under the plot, inside it from side to side.
        assert (
            day["top"] >= plot["bottom"] - 1 and plot["left"] - 1 <= day["left"] and day["right"] <= plot["right"] + 1
        )
    assert all(plot["left"] - 1 <= label["left"] and label["right"] <= plot["right"] + 1 for label in found["labels"])
    assert found["xTitle"]["top"] >= max(day["bottom"] for day in found["days"]) - 1
    assert found["scroll"] <= found["width"], "the page scrolls sideways"


def test_the_overview_chart_is_labelled_in_html_at_desktop_and_phone_width(page, make_member, enroll_totp):
    staff = make_member("sam", is_staff=True, with_questions=False, time_zone="America/Chicago")
    staff.groups.add(support_role("Support"))
    device = enroll_totp(staff)
    failed_hours_ago(*[n * 3.5 for n in range(40) for _ in range(n % 5)])
    sign_in_to_support_site(page, staff, device)
    page.get_by_role("link", name="Security overview").click()
    chart = page.locator(".chart")
    expect(chart.get_by_text("Failed sign-ins per hour", exact=True)).to_be_visible()
    expect(chart.get_by_text("Hours of each day (America/Chicago); the day's total below its date")).to_be_visible()
    plot_name = "Failed sign-ins per hour, today and the 6 days before, in America/Chicago"
    expect(page.get_by_role("img", name=plot_name)).to_be_visible()  # its name and description: the SVG's own
    assert page.locator("svg text").count() == 0
    axe = Axe(page)
    axe.check("security overview, desktop")
    assert_laid_out_around_the_plot(boxes(page))
    page.set_viewport_size(PHONE)
    assert_laid_out_around_the_plot(boxes(page))
    # As tall as the page: axe leaves a heading that the viewport's bottom edge cuts undecided.
    page.set_viewport_size({"width": PHONE["width"], "height": page.evaluate("document.body.scrollHeight")})
    axe.check("security overview, 390 px")
    page.set_viewport_size(VIEWPORT)
    axe.assert_none()
    shoot(page, "overview-chart")


@pytest.fixture
def tokyo_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_staff_get_the_browsers_zone_on_the_support_site_and_see_it_named(tokyo_page, make_member, enroll_totp):
    page = tokyo_page
    staff = make_member("sam", is_staff=True, with_questions=False)
    staff.groups.add(support_role("Support"))
    device = enroll_totp(staff)
    sign_in_to_support_site(page, staff, device)
    expect(page.get_by_role("link", name="Times in UTC (not chosen)")).to_be_visible()
    for _ in range(50):
        staff.refresh_from_db()
        if staff.time_zone:
            break
        page.wait_for_timeout(100)
    assert staff.time_zone == "Asia/Tokyo"
    page.get_by_role("link", name="Security events").first.click()
    expect(page.get_by_role("link", name="Times in Asia/Tokyo")).to_be_visible()
    expect(page.locator("#result_list td.field-created_at").first).to_contain_text("JST")
    assert page.locator('script[src*="time-zone"]').count() == 0
    Axe(page).check("audit log list, Tokyo")
    shoot(page, "audit-list-tokyo")
