"""Real-browser fixtures: Debian's Chromium driven by Playwright, against pytest-django's live_server."""

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import MEMBER_PASSWORD

# Both test workers and their browsers share two cores: a page may take longer than Playwright's
# default 5 s to show what is expected. Only the waiting grows; every expectation stays.
expect.set_options(timeout=15_000)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (scripts/run-tests does it as root)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse the
    # tests' own database queries (fixtures, teardown) as "called from an async context". Only for
    # these tests: the package scope stops Playwright before the rest of the suite runs.
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            # Playwright turns the back/forward cache off; a member's browser has it on, and it
            # decides what Back shows after signing out.
            ignore_default_args=["--disable-back-forward-cache"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # A fresh context per test: no cookies, storage or history carried over from another test.
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, username, password=MEMBER_PASSWORD):
    """Fill in the sign-in form the page shows and send it."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()


def open_two_factor_setup(page, username="alice"):
    """Sign in and walk to the two-factor set-up step that shows the QR code and the key."""
    page.goto("/accounts/login/")
    sign_in(page, username)
    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("link", name="Manage two-factor sign-in").click()
    page.get_by_role("link", name="Turn on two-factor sign-in").click()
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Continue").click()


class Traffic:
    """The requests the pages of a browser context have under way, so a step can wait until they have heard back."""

    def __init__(self, context):
        self.pending = set()
        context.on("request", self.started)
        context.on("requestfinished", self.ended)
        context.on("requestfailed", self.ended)

    def started(self, request):
        self.pending.add(request)

    def ended(self, request):
        self.pending.discard(request)

    def settle(self, page):
        page.wait_for_timeout(20)  # time for a fetch the last timer tick started to be reported
        deadline = time.monotonic() + 5
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(10)
        page.wait_for_load_state()


class PausedClocks:
    """The pages' clock (Playwright's, paused) and the session policy's (the clock fixture), moved together.

    Time passes only when a test says so: a 15-minute idle period takes a moment, and each page
    timer fires exactly when it would.
    """

    def __init__(self, page, server_clock):
        self.page = page
        self.server = server_clock
        self.traffic = Traffic(page.context)
        server_clock.now = float(int(server_clock.now))  # whole seconds, as a page's timer counts
        page.clock.install()
        page.clock.pause_at(datetime.now() + timedelta(seconds=5))

    def run(self, seconds):
        """Let `seconds` pass in one stretch (the server's clock first, so a request the last tick
        sends sees the same moment), then wait for the pages to hear back."""
        # A page's deferred scripts (the session timer) may still be unrun when its heading shows:
        # time moved before then would pass with no timer set, and the timer would start late.
        for page in self.page.context.pages:
            page.wait_for_load_state("load")
        self.server.advance(seconds)
        self.page.clock.run_for(round(seconds * 1000))
        for page in self.page.context.pages:
            self.traffic.settle(page)

    def tick(self, seconds=1):
        """Let `seconds` pass one second at a time, each second's requests answered before the next."""
        for _ in range(seconds):
            self.run(1)


@pytest.fixture
def clocks(page, clock):
    return PausedClocks(page, clock)


@pytest.fixture
def page_errors(page):
    """Every uncaught error of the page's scripts while the test runs."""
    seen = []

    def note(error):
        seen.append(error)

    page.on("pageerror", note)
    return seen
