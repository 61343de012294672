"""Forty simultaneous wrong guesses, over two real app servers sharing the database.

The freeze is only worth something if it holds under concurrency: an attacker who sends all their
guesses at once must still get no more than five passwords checked. The servers count every Argon2
hash they compute (tests/live/counting_hasher.py). Server logs are kept in the test's tmp_path.
"""

import re
from collections import Counter

import pytest

from accounts.forms import INVALID_SIGN_IN
from security.models import SecurityEvent
from security.usernames import pseudonym
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import CSRF_INPUT
from tests.live import LiveClient, sign_in_all_at_once

pytestmark = pytest.mark.live

Kind = SecurityEvent.Kind
FROZEN_TEXT = "This account is frozen"
BUSY_TEXT = "Please wait a moment and try again"
QUEUE_BUSY_TEXT = "The portal is busy checking other sign-ins right now."
GUESSES = [f"wrong guess {n}" for n in range(40)]
STOCK_AXES = "axes.handlers.database.AxesDatabaseHandler"


def start_two(app_servers, **env):
    # 2 servers x 2 workers x 4 threads: 16 guesses in flight at once, each past the freeze check.
    return app_servers.start(2, workers=2, threads=4, **env)


@pytest.fixture
def member(live_member):
    return live_member


def outcome(response):
    """What the guesser sees: the generic failure, the frozen page, or something that must not happen."""
    if response.status == 200 and INVALID_SIGN_IN in response.text:
        return "failed"
    if response.status == 403 and FROZEN_TEXT in response.text:
        return "frozen"
    if response.status == 429 and BUSY_TEXT in response.text:
        return "busy"  # the five checks the limit allows were still under way
    return f"unexpected {response.status}"


TRIES_LEFT = re.compile(r"\d+ tr(?:y|ies) left")
# The whole warning, which a failure shows or not by the count it read.
TRIES_LEFT_LINE = re.compile(r'<p class="tries-left"[^>]*>.*?</p>', re.S)


def without_tries_left(page):
    """The page with its warning taken out, its spacing evened (the warning brings lines of its own)."""
    return " ".join(TRIES_LEFT_LINE.sub(" ", page).split())


def pages(responses, username):
    """The distinct pages the guesser saw, with the per-response token and the username masked."""
    return {(r.status, CSRF_INPUT.sub("TOKEN", r.text).replace(username, "NAME")) for r in responses}


def by_outcome(seen_pages):
    """The distinct pages seen, by outcome: a wrong password, frozen, or one of the two busy pages."""
    grouped = {}
    for status, page in seen_pages:
        if status == 429:
            kind = "busy queue" if QUEUE_BUSY_TEXT in page else "busy account"
        else:
            kind = {200: "failed", 403: "frozen"}.get(status, f"unexpected {status}")
        grouped.setdefault(kind, set()).add(page)
    return grouped


def test_it_verifies_at_most_five_passwords_among_40_simultaneous_guesses(app_servers, member):
    servers = start_two(app_servers)

    responses = sign_in_all_at_once(servers, "alice", GUESSES)

    # Not just at most five: five failures froze the account, and each is one check.
    assert app_servers.hashes_computed() == 5
    seen = Counter(outcome(r) for r in responses)
    assert set(seen) <= {"failed", "frozen", "busy"} and seen["failed"] == 4 and seen["frozen"] >= 1
    assert SecurityEvent.objects.filter(member=member, kind=Kind.SIGN_IN_FAILED).count() == 5
    for server in servers:
        client = LiveClient(server)
        assert outcome(client.sign_in("alice", MEMBER_PASSWORD)) == "frozen"
        assert not any("sessionid" in name for name in client.cookies)
    assert app_servers.hashes_computed() == 5


def test_it_treats_an_unknown_username_the_same_under_the_storm(app_servers, member):
    servers = start_two(app_servers)
    known = sign_in_all_at_once(servers, "alice", GUESSES)
    checked_for_member = app_servers.hashes_computed()

    unknown = sign_in_all_at_once(servers, "alicia", GUESSES)

    # As many checks (a dummy hash each), and the same page for each outcome: nothing tells the two
    # apart. (How many guessers saw "busy" rather than "frozen" depends on timing, not on the name.)
    assert app_servers.hashes_computed() - checked_for_member == checked_for_member == 5
    # Two busy pages exist (this account's checks under way, or the process's hash queue full); which
    # one a guesser meets is timing. Each outcome's page must read the same for both names.
    known_pages, unknown_pages = by_outcome(pages(known, "alice")), by_outcome(pages(unknown, "alicia"))
    assert {"failed", "frozen"} <= set(known_pages) & set(unknown_pages)
    assert set(known_pages) | set(unknown_pages) <= {"failed", "frozen", "busy account", "busy queue"}
    for seen in set(known_pages) & set(unknown_pages):
        # How many tries a failure saw left is timing too (two at once may read the same count, and
        # whether a failure counted as the third or the second decides if the line shows at all): each
        # line must be one a member can be shown, and the pages the same without it.
        lines = {line for page in known_pages[seen] | unknown_pages[seen] for line in TRIES_LEFT.findall(page)}
        assert lines <= {"2 tries left", "1 try left"}, lines
        known_seen = {without_tries_left(page) for page in known_pages[seen]}
        unknown_seen = {without_tries_left(page) for page in unknown_pages[seen]}
        assert known_seen == unknown_seen, seen
        assert len(known_seen) == 1, seen
        # Whether any failure shows the line at all is timing too: four failures checked at once may
        # all read the count after the fifth froze the account, when no line is shown.
    # Logged under the name's keyed stand-in (it names no account), counted all the same.
    assert SecurityEvent.objects.filter(username=pseudonym("alicia"), kind=Kind.SIGN_IN_FAILED).count() == 5
    assert outcome(LiveClient(servers[1]).sign_in("alicia", MEMBER_PASSWORD)) == "frozen"


def test_it_shows_the_fifth_failure_the_frozen_page_and_records_the_freeze_once(app_servers, member):
    servers = start_two(app_servers)

    responses = sign_in_all_at_once(servers, "alice", GUESSES)

    seen = Counter(outcome(r) for r in responses)
    assert seen["failed"] == 4 and seen["frozen"] >= 1 and seen["frozen"] + seen["busy"] == 36
    assert SecurityEvent.objects.filter(member=member, kind=Kind.ACCOUNT_FROZEN).count() == 1


def test_it_would_check_many_more_than_five_with_stock_axes(app_servers, member):
    """The control: stock django-axes checks, then hashes, then counts, so the storm gets through."""
    servers = start_two(app_servers, PORTAL_LIVE_AXES_HANDLER=STOCK_AXES)

    sign_in_all_at_once(servers, "alice", GUESSES)

    assert app_servers.hashes_computed() > 5
