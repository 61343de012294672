"""A tab left untouched cannot keep its session alive: the page's own timer, run over several idle
periods in real Chromium, takes the member to sign-in once, at the limit, and the session is over.

The page's clock (Playwright's page.clock) and the server's (the clock fixture) are paused and
moved together, a second at a time, so the test takes seconds and the timer fires exactly when
the page would.
"""

import re
import time
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds

pytestmark = pytest.mark.browser

IDLE_SECONDS = 30
WARNING_SECONDS = 10
# Below the idle limit, as in production (60 s of 900): a page load near the limit would be written as activity.
ACTIVITY_WRITE_SECONDS = 5
PERIODS = 3


@pytest.fixture
def short_sessions(settings):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = IDLE_SECONDS
    settings.PORTAL_IDLE_WARNING_SECONDS = WARNING_SECONDS
    settings.PORTAL_ACTIVITY_WRITE_SECONDS = ACTIVITY_WRITE_SECONDS


class Traffic:
    """The requests the page has under way, so each step waits until the page has heard back."""

    def __init__(self, page):
        self.pending = set()
        self.documents = []
        page.on("request", self.started)
        page.on("requestfinished", self.ended)
        page.on("requestfailed", self.ended)
        page.on("framenavigated", self.navigated)

    def started(self, request):
        self.pending.add(request)

    def ended(self, request):
        self.pending.discard(request)

    def navigated(self, frame):
        if frame.parent_frame is None:
            self.documents.append(frame.url)

    def settle(self, page):
        page.wait_for_timeout(20)  # time for a fetch the last tick started to be reported
        deadline = time.monotonic() + 5
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(10)
        page.wait_for_load_state()


def test_it_signs_out_an_untouched_tab_once_at_the_limit_and_never_brings_it_back(
    page, make_member, clock, short_sessions, live_server
):
    clock.now = float(int(clock.now))
    make_member("alice")
    page.clock.install()
    page.clock.pause_at(datetime.now() + timedelta(seconds=5))
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    # The member opens a page 0.6 s after the sign-in: too soon to be written as activity, so the
    # server has 29.4 s left while the page's timer starts from there.
    clock.advance(0.6)
    page.get_by_role("link", name="Security settings").click()
    expect(page.get_by_role("heading", name="Security settings")).to_be_visible()

    traffic = Traffic(page)
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    for second in range(1, PERIODS * IDLE_SECONDS + 1):
        clock.advance(1)
        page.clock.run_for(1000)
        traffic.settle(page)
        if second == IDLE_SECONDS - WARNING_SECONDS:
            expect(dialog).to_be_visible()

    # Once to sign-in, saying why, and never back to the page it left.
    assert traffic.documents == [f"{live_server.url}/accounts/login/?signed_out=idle&next=%2Faccounts%2Fsecurity%2F"]
    expect(page.get_by_role("status")).to_contain_text("signed out after")
    response = page.request.get("/accounts/security/", max_redirects=0)
    assert response.status == 302 and response.headers["location"].startswith("/accounts/login/")

    listed = MemberSession.objects.get()
    assert listed.end_reason == "idle" and listed.last_activity_at == listed.created_at
    assert IDLE_SECONDS <= (listed.ended_at - listed.created_at).total_seconds() <= IDLE_SECONDS + 1
    Kind = SecurityEvent.Kind
    assert event_kinds(member=listed.member) == [Kind.SIGN_IN_SUCCEEDED, Kind.SESSION_EXPIRED_IDLE]
