"""A tab left untouched cannot keep its session alive: the page's own timer, run over several idle
periods of the real policy in real Chromium, takes the member to sign-in once, at the limit, and
the session is over.

The page's clock (Playwright's page.clock) and the server's (the clock fixture) are paused and
moved together (tests/browser/conftest.py): a second at a time around each moment the page's timer
asks the server, in whole stretches while it only counts down. So three quarters of an hour take
seconds and the timer fires exactly when the page would.
"""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from security.models import MemberSession, SecurityEvent
from tests.browser.conftest import sign_in
from tests.helpers import event_kinds

pytestmark = pytest.mark.browser

PERIODS = 3
AROUND = 2  # seconds stepped one at a time either side of each moment the page acts


def moments_the_page_acts(idle, warning):
    """Seconds after the page opened at which its timer asks the server: the warning and the limit
    of each idle period (a page that somehow kept its session would act again in the next)."""
    return [moment for period in range(1, PERIODS + 1) for moment in (period * idle - warning, period * idle)]


def test_it_signs_out_an_untouched_tab_once_at_the_limit_and_never_brings_it_back(
    page, make_member, clock, clocks, live_server
):
    idle, warning = settings.PORTAL_IDLE_TIMEOUT_SECONDS, settings.PORTAL_IDLE_WARNING_SECONDS
    make_member("alice")
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    # The member opens a page 0.6 s after the sign-in: too soon to be written as activity, so the
    # server has idle - 0.6 s left while the page's timer starts from there.
    clock.advance(0.6)
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()

    documents = []

    def navigated(frame):
        if frame.parent_frame is None:
            documents.append(frame.url)

    page.on("framenavigated", navigated)
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    moments = moments_the_page_acts(idle, warning)
    stepped = {s for moment in moments for s in range(moment - AROUND, moment + AROUND + 1)}
    second, end = 0, PERIODS * idle
    while second < end:
        if second + 1 in stepped:
            clocks.tick()
            second += 1
        else:
            stretch = min([s for s in stepped if s > second] + [end + 1]) - 1 - second
            clocks.run(stretch)
            second += stretch
        if second == idle - warning - 1:
            expect(dialog).to_be_hidden()
        elif second == idle - warning:
            expect(dialog).to_be_visible()

    # Once to sign-in, saying why, and never back to the page it left.
    assert documents == [f"{live_server.url}/accounts/login/?signed_out=idle&next=%2Faccounts%2Fsecurity%2F"]
    expect(page.get_by_role("status")).to_contain_text("signed out after")
    response = page.request.get("/accounts/security/", max_redirects=0)
    assert response.status == 302 and response.headers["location"].startswith("/accounts/login/")

    listed = MemberSession.objects.get()
    assert listed.end_reason == "idle" and listed.last_activity_at == listed.created_at
    assert idle <= (listed.ended_at - listed.created_at).total_seconds() <= idle + 1
    Kind = SecurityEvent.Kind
    assert event_kinds(member=listed.member) == [Kind.SIGN_IN_SUCCEEDED, Kind.SESSION_EXPIRED_IDLE]
