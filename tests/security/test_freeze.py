from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import get_hasher
from django.utils import timezone

from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, page_without_tokens, sign_in

Kind = SecurityEvent.Kind
FROZEN_TEXT = "This account is frozen"


def fail_times(client, username, times):
    return [sign_in(client, username, f"wrong guess {n}") for n in range(times)]


def test_it_freezes_on_the_fifth_failure_and_says_so(client, member):
    responses = fail_times(client, "alice", 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 403]
    assert all(FROZEN_TEXT not in r.content.decode() for r in responses[:4])
    frozen_page = responses[4].content.decode()
    assert FROZEN_TEXT in frozen_page
    assert "security questions" in frozen_page and "Member Support" in frozen_page
    assert is_frozen("alice")


def test_it_refuses_the_right_password_once_frozen(client, member):
    fail_times(client, "alice", 5)
    response = sign_in(client, "alice", MEMBER_PASSWORD)
    assert response.status_code == 403 and FROZEN_TEXT in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.fixture
def axes_clock(monkeypatch):
    """Move axes' clock: each attempt's time (and so any cool-off) is counted from it."""
    from axes import attempts
    from axes.handlers import proxy

    def move(by):
        later = timezone.now() + by
        monkeypatch.setattr(proxy, "now", lambda: later)
        monkeypatch.setattr(attempts, "now", lambda: later)

    return move


def test_it_stays_frozen_with_no_cool_off(client, member, axes_clock):
    fail_times(client, "alice", 5)
    axes_clock(timedelta(days=400))
    # A year on, a wrong guess (which would clear expired failures) and then the right password:
    # still frozen, until the member or Member Support unfreezes it.
    wrong = sign_in(client, "alice", "a year later")
    right = sign_in(client, "alice", MEMBER_PASSWORD)
    assert [wrong.status_code, right.status_code] == [403, 403]
    assert FROZEN_TEXT in right.content.decode() and SESSION_KEY not in client.session
    assert is_frozen("alice")


def test_it_counts_every_spelling_of_a_username_together(client, member):
    for spelling in ("alice", "ALICE", " Alice", "ａｌｉｃｅ", "aLiCe"):
        sign_in(client, spelling, "wrong")
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 403


def test_it_resets_the_count_after_a_successful_sign_in(client, member):
    fail_times(client, "alice", 4)
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    responses = fail_times(client, "alice", 4)
    assert all(r.status_code == 200 for r in responses)
    assert not is_frozen("alice")


def test_it_never_runs_the_hasher_for_a_frozen_account(client, member, monkeypatch):
    fail_times(client, "alice", 5)
    hasher = get_hasher("default")
    calls = []
    monkeypatch.setattr(type(hasher), "verify", lambda *a: calls.append(a) or False)
    monkeypatch.setattr(type(hasher), "encode", lambda *a: calls.append(a) or "x")
    sign_in(client, "alice", MEMBER_PASSWORD)
    sign_in(client, "alice", "another guess")
    assert calls == []


def test_it_audits_the_failures_the_freeze_and_the_refusals(client, member):
    fail_times(client, "alice", 5)
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert event_kinds(member=member) == [
        *[Kind.SIGN_IN_FAILED] * 5,
        Kind.ACCOUNT_FROZEN,
        Kind.SIGN_IN_REFUSED_FROZEN,
    ]


def test_it_reads_the_same_for_an_unknown_username(client, member):
    known = [page_without_tokens(r) for r in fail_times(client, "alice", 6)]
    unknown = [page_without_tokens(r) for r in fail_times(client, "alicia", 6)]
    assert [p.replace("alice", "NAME") for p in known] == [p.replace("alicia", "NAME") for p in unknown]


@pytest.mark.parametrize("limit", [3, 7])
def test_it_follows_the_configured_limit(client, member, settings, limit):
    settings.PORTAL_FREEZE_AFTER_FAILURES = settings.AXES_FAILURE_LIMIT = limit
    responses = fail_times(client, "alice", limit)
    assert [r.status_code for r in responses][-2:] == [200, 403]
    assert f"After {limit} failed sign-in attempts" in responses[-1].content.decode()


def test_it_says_try_again_when_every_check_is_already_under_way(client, member, settings):
    from security.models import VerificationGate

    # Five checks of this account are in flight elsewhere (other requests, other servers).
    VerificationGate.objects.create(username="alice", in_flight=settings.PORTAL_FREEZE_AFTER_FAILURES)
    response = sign_in(client, "alice", MEMBER_PASSWORD)
    page = response.content.decode()
    assert response.status_code == 429 and "Please wait a moment and try again" in page
    assert FROZEN_TEXT not in page and not is_frozen("alice")
    assert event_kinds(member=member) == [Kind.SIGN_IN_REFUSED_BUSY]
    VerificationGate.objects.update(in_flight=0)
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302


def test_it_audits_a_flood_of_refusals_once_a_minute(client, member):
    from django.core.cache import cache

    fail_times(client, "alice", 5)
    for _ in range(20):
        assert sign_in(client, "alice", "flood").status_code == 403
    assert event_kinds(member=member).count(Kind.SIGN_IN_REFUSED_FROZEN) == 1
    cache.clear()  # a minute later
    sign_in(client, "alice", "flood")
    assert event_kinds(member=member).count(Kind.SIGN_IN_REFUSED_FROZEN) == 2


def test_it_keeps_the_slot_when_recording_a_failure_breaks(client, member, monkeypatch):
    from security import lockout
    from security.models import VerificationGate

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(lockout, "record_event", broken)
    client.raise_request_exception = False
    statuses = [sign_in(client, "alice", "wrong").status_code for _ in range(8)]
    # Fail closed: each broken attempt still holds its slot, so after five checks the rest wait.
    assert statuses == [500] * 5 + [429] * 3
    assert VerificationGate.objects.get(username="alice").in_flight == 5
