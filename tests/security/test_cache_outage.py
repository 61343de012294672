"""The cache down, hung or full: sign-in goes on, the freeze holds exactly, the address limit is
counted per process and the log says so. The cache here is one that raises what redis-py raises."""

import logging
import threading

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError, TimeoutError

from security import throttle
from security.models import SecurityEvent, VerificationSlot
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
FROZEN_TEXT = "This account is frozen"
THROTTLED_TEXT = "too many failed sign-ins from your network"
WRONG = "The username or password is not correct"
OOM = ResponseError("OOM command not allowed when used memory > 'maxmemory'.")


class FailingCache:
    """Every call raises `error`, as redis-py does when the server is gone or hung."""

    def __init__(self, error, *, reads=None):
        self.error = error
        self.reads = reads  # a cache whose reads still answer (Redis refusing only writes)
        self.calls = 0

    def get(self, *args, **kwargs):
        if self.reads is not None:
            return self.reads.get(*args, **kwargs)
        raise self.error

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            self.calls += 1
            raise self.error

        return fail


@pytest.fixture(autouse=True)
def _fresh_fallback():
    throttle.reset_fallback()
    yield
    throttle.reset_fallback()


@pytest.fixture(params=["refused", "timeout"])
def cache_down(request, monkeypatch):
    error = {
        "refused": RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        "timeout": TimeoutError("Timeout reading from socket"),
    }[request.param]
    broken = FailingCache(error)
    monkeypatch.setattr(throttle, "cache", broken)
    monkeypatch.setattr("portal.views.cache", broken)
    return broken


@pytest.fixture
def cache_full(monkeypatch):
    monkeypatch.setattr(throttle, "cache", FailingCache(OOM, reads=cache))


def fail_times(client, username, times):
    return [sign_in(client, username, f"wrong guess {n}") for n in range(times)]


def test_it_signs_a_member_in_and_refuses_a_wrong_password(client, member, cache_down):
    wrong = sign_in(client, "alice", "not it")
    assert wrong.status_code == 200 and WRONG in wrong.content.decode()
    right = sign_in(client, "alice", MEMBER_PASSWORD)
    assert right.status_code == 302
    assert client.get("/").status_code == 200  # the member's pages do without the cache
    assert event_kinds(member=member) == [Kind.SIGN_IN_FAILED, Kind.SIGN_IN_SUCCEEDED]
    assert not VerificationSlot.objects.exists()


def test_it_freezes_on_exactly_the_fifth_wrong_password(client, member, cache_down):
    statuses = [r.status_code for r in fail_times(client, "alice", 5)]
    assert statuses == [200, 200, 200, 200, 403]
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5
    right = sign_in(client, "alice", MEMBER_PASSWORD)
    assert right.status_code == 403 and FROZEN_TEXT in right.content.decode()
    kinds = event_kinds(member=member)
    assert kinds.count(Kind.SIGN_IN_FAILED) == 5 and kinds.count(Kind.ACCOUNT_FROZEN) == 1


def test_it_records_every_failure_when_the_cache_refuses_writes(client, member, cache_full):
    statuses = [r.status_code for r in fail_times(client, "alice", 5)]
    assert statuses == [200, 200, 200, 200, 403]
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5
    assert event_kinds(member=member).count(Kind.SIGN_IN_FAILED) == 5
    assert not VerificationSlot.objects.exists()  # every slot was given back after its failure committed


def test_it_counts_the_address_limit_in_this_process(client, member, settings, cache_down):
    settings.PORTAL_IP_FAILURE_LIMIT = 3
    for n in range(3):
        assert sign_in(client, f"stuffed-{n}", "password123456").status_code == 200
    for _ in range(5):
        refused = sign_in(client, "alice", MEMBER_PASSWORD)
        assert refused.status_code == 429 and THROTTLED_TEXT in refused.content.decode()
    elsewhere = client.post(
        "/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert elsewhere.status_code == 302
    # The refusals are audited once a minute, on this process's count too.
    assert event_kinds(username="alice").count(Kind.SIGN_IN_REFUSED_ADDRESS) == 1


def test_it_audits_a_flood_on_a_frozen_account_once_a_minute(client, member, cache_down):
    fail_times(client, "alice", 5)
    for _ in range(20):
        assert sign_in(client, "alice", "flood").status_code == 403
    assert event_kinds(member=member).count(Kind.SIGN_IN_REFUSED_FROZEN) == 1


def test_it_warns_that_the_limit_is_degraded_once_a_minute(client, member, cache_down, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="security.throttle")
    fail_times(client, "alice", 3)
    sign_in(client, "alice", MEMBER_PASSWORD)
    warnings = [r.getMessage() for r in caplog.records if r.name == "security.throttle"]
    assert len(warnings) == 1
    assert (
        "degraded" in warnings[0]
        and "in this process" in warnings[0]
        and type(cache_down.error).__name__ in warnings[0]
    )
    monkeypatch.setattr(throttle, "_warned_at", throttle._warned_at - throttle.WARNING_SECONDS)  # a minute later
    monkeypatch.setattr(throttle, "_cache_retry_at", 0.0)
    client.logout()
    sign_in(client, "bob", "wrong")
    assert len([r for r in caplog.records if r.name == "security.throttle"]) == 2


def test_it_uses_the_shared_count_again_once_the_cache_answers(client, member, monkeypatch, settings):
    settings.PORTAL_CACHE_RETRY_SECONDS = 0
    with monkeypatch.context() as outage:
        outage.setattr(throttle, "cache", FailingCache(RedisConnectionError("refused")))
        fail_times(client, "nobody", 2)
    assert throttle.local_counts.get("signin-failures:127.0.0.1") == 2
    fail_times(client, "nobody", 1)
    assert cache.get("signin-failures:127.0.0.1") == 1  # the shared count, which every server sees
    assert throttle.local_counts.get("signin-failures:127.0.0.1") == 2


def test_it_waits_before_trying_a_failing_cache_again(client, member, monkeypatch, settings):
    settings.PORTAL_CACHE_RETRY_SECONDS = 60
    hung = FailingCache(TimeoutError("Timeout reading from socket"))
    monkeypatch.setattr(throttle, "cache", hung)
    fail_times(client, "alice", 3)
    assert hung.calls == 1  # one timeout, then this process's count until the retry


def test_it_signs_in_with_a_second_factor_when_the_cache_is_down(client, member, enroll_totp, cache_down):
    device = enroll_totp(member)
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    wrong = client.post("/accounts/login/code/", {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "That code is not correct" in wrong.content.decode()
    right = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert right.status_code == 302
    assert event_kinds(member=member) == [Kind.SECOND_FACTOR_FAILED, Kind.SIGN_IN_SUCCEEDED]


def test_it_answers_healthz_degraded_but_serving_without_the_cache(client, db, cache_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "degraded"}


def test_it_answers_healthz_503_only_when_the_database_cannot_serve(client, db, monkeypatch):
    class NoDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("portal.views.connection", NoDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "cache": "ok"}


def test_the_local_count_is_exact_across_threads_and_keeps_the_window():
    counts = throttle.LocalCounts()

    def count():
        for _ in range(2000):
            counts.add_one("k", 60)

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts.get("k") == 16000
    assert counts.add("once", 60) and not counts.add("once", 60)


def test_the_local_count_ends_with_its_window():
    now = [1000.0]
    counts = throttle.LocalCounts(clock=lambda: now[0])
    assert [counts.add_one("k", 10) for _ in range(3)] == [1, 2, 3]
    now[0] += 9.9  # later counts do not extend the window
    assert counts.add_one("k", 10) == 4
    now[0] += 0.2
    assert counts.get("k") == 0 and counts.add_one("k", 10) == 1


def test_the_local_count_stays_bounded_in_memory(monkeypatch):
    monkeypatch.setattr(throttle.LocalCounts, "MAX_KEYS", 100)
    counts = throttle.LocalCounts()
    for n in range(1000):
        counts.add_one(f"address-{n}", 60)
    assert len(counts._entries) <= 100 and counts.get("address-999") == 1


def test_it_runs_the_reset_tool_and_its_address_limit_when_the_cache_is_down(client, member, settings, cache_down):
    from security.models import ResetStrikes

    from .reset_steps import RIGHT_ANSWERS, answer, start, state_of

    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 3
    wrong = ["wrong one", "wrong two", "wrong three"]
    statuses = [answer(client, state_of(start(client, f"name{n}")), wrong).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]  # counted in this process
    assert ResetStrikes.objects.filter(failures__gt=0).count() == 3
    elsewhere = type(client)(REMOTE_ADDR="203.0.113.7")
    assert answer(elsewhere, state_of(start(elsewhere, "alice")), RIGHT_ANSWERS).status_code == 302
