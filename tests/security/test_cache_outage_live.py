"""Redis stopped, hung and full, then back, behind the documented topology: nginx in front of two
gunicorn servers sharing the database and a Redis of the test's own (tests/live/redis.py).

What members and attackers see: sign-in keeps working, five wrong passwords freeze exactly (every
failure recorded), the per-address limit still refuses (each server counting alone, which its log
says), /healthz keeps the servers in the pool, and the shared count is back once Redis is.
"""

import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password

from accounts.forms import INVALID_SIGN_IN
from security.models import SecurityEvent, VerificationSlot
from tests.conftest import MEMBER_PASSWORD
from tests.live import AppServers, LiveClient, Nginx
from tests.live.redis import TestRedis
from tests.live.time_limit import time_limit

pytestmark = pytest.mark.live

Kind = SecurityEvent.Kind
LIMIT = 4  # per address, at sign-in
TEST_SECONDS = 120
ORIGIN = {"Origin": "https://127.0.0.1"}
FROZEN_TEXT = "This account is frozen"
THROTTLED_TEXT = "too many failed sign-ins from your network"
# What one sign-in may take with Redis gone or hung: the client's timeouts bound it (settings/base.py).
SIGN_IN_BOUND_SECONDS = 3


@pytest.fixture(autouse=True)
def _time_limit():
    with time_limit(TEST_SECONDS, "a fault held a request"):
        yield


@pytest.fixture
def redis(tmp_path):
    with TestRedis(tmp_path) as server:
        yield server


@pytest.fixture
def servers(transactional_db, tmp_path, redis):
    with AppServers(workdir=tmp_path) as app_servers:
        started = app_servers.start(
            2,
            workers=1,
            threads=2,
            CACHE_URL=redis.url,
            PORTAL_CACHE_RETRY_SECONDS="1",
            PORTAL_IP_FAILURE_LIMIT=LIMIT,
            PORTAL_BEHIND_TLS_PROXY="true",
            PORTAL_TRUSTED_PROXIES="127.0.0.1",
            SECURE_SSL_REDIRECT="true",
        )
        yield started


@pytest.fixture
def nginx(servers, tmp_path):
    with Nginx(servers, workdir=tmp_path) as proxy:
        yield proxy


@pytest.fixture
def members(make_member):
    made = [make_member("alice"), make_member("bob")]
    for member in made:
        # The real Argon2id hash the servers verify (test settings would otherwise use a fast one).
        member.password = make_password(MEMBER_PASSWORD, hasher="argon2")
        member.save(update_fields=["password"])
    return made


def client(nginx, address="127.0.0.2"):
    return LiveClient(nginx, source_address=address, headers=ORIGIN, timeout=10)


def timed_sign_in(nginx, username, password, address="127.0.0.2"):
    visitor = client(nginx, address)
    token = visitor.login_form()
    started = time.monotonic()
    response = visitor.sign_in(username, password, token)
    return response, time.monotonic() - started, visitor


def outcome(response):
    if response.status == 302:
        return "signed in"
    if response.status == 200 and INVALID_SIGN_IN in response.text:
        return "failed"
    if response.status == 403 and FROZEN_TEXT in response.text:
        return "frozen"
    if response.status == 429 and THROTTLED_TEXT in response.text:
        return "throttled"
    return f"unexpected {response.status}"


def health(server):
    # As the load balancer asks, behind the TLS it terminates.
    response = LiveClient(server, timeout=10, headers={"X-Forwarded-Proto": "https"}).get("/healthz")
    return response.status, response.text


def assert_member_signs_in_and_is_served(nginx):
    response, seconds, member = timed_sign_in(nginx, "alice", MEMBER_PASSWORD, address="127.0.0.9")
    assert outcome(response) == "signed in" and seconds < SIGN_IN_BOUND_SECONDS
    assert member.get("/").status == 200  # the member's pages
    return seconds


def assert_five_wrong_passwords_freeze_exactly(nginx, username="bob"):
    seen = [outcome(timed_sign_in(nginx, username, f"wrong {n}", address="127.0.0.8")[0]) for n in range(5)]
    assert seen == ["failed"] * 4 + ["frozen"]
    assert AccessAttempt.objects.get(username=username).failures_since_start == 5
    assert SecurityEvent.objects.filter(username=username, kind=Kind.SIGN_IN_FAILED).count() == 5
    assert outcome(timed_sign_in(nginx, username, MEMBER_PASSWORD, address="127.0.0.8")[0]) == "frozen"
    assert not VerificationSlot.objects.exists()  # every check's slot was given back


def stuffing(nginx, address, attempts):
    """Wrong passwords for names no one has, from one address: what the address limit is for."""
    return [outcome(timed_sign_in(nginx, f"stuffed-{n}", "password123456", address)[0]) for n in range(attempts)]


def logs(servers):
    return "\n".join(server.log_path.read_text(errors="replace") for server in servers)


def test_it_signs_in_and_freezes_exactly_with_redis_stopped(servers, nginx, redis, members):
    assert [health(server) for server in servers] == [(200, '{"database": "ok", "cache": "ok"}')] * 2
    redis.stop()

    assert [health(server) for server in servers] == [(200, '{"database": "ok", "cache": "degraded"}')] * 2
    seconds = assert_member_signs_in_and_is_served(nginx)
    assert_five_wrong_passwords_freeze_exactly(nginx)
    # Each server counts the address alone: at most the limit each, and then it refuses.
    seen = stuffing(nginx, "127.0.0.2", 2 * LIMIT + 1)
    assert seen.count("failed") <= 2 * LIMIT and "throttled" in seen and set(seen) <= {"failed", "throttled"}
    assert "per-address limits degraded to a count in this process" in logs(servers)
    print(f"\nsign-in with Redis stopped: {seconds * 1000:.0f} ms")


def test_it_signs_in_and_freezes_exactly_with_redis_hung(servers, nginx, redis, members):
    redis.pause()  # the port takes connections; nothing answers

    started = time.monotonic()
    assert [health(server) for server in servers] == [(200, '{"database": "ok", "cache": "degraded"}')] * 2
    health_seconds = (time.monotonic() - started) / 2
    first = assert_member_signs_in_and_is_served(nginx)
    assert_five_wrong_passwords_freeze_exactly(nginx)
    assert "throttled" in stuffing(nginx, "127.0.0.2", 2 * LIMIT + 1)
    assert "TimeoutError" in logs(servers)
    print(f"\nwith Redis hung: /healthz {health_seconds * 1000:.0f} ms, first sign-in {first * 1000:.0f} ms")


def test_it_records_every_failure_when_redis_refuses_writes(servers, nginx, redis, members):
    redis.refuse_writes()  # maxmemory reached, noeviction: "OOM command not allowed"

    assert_five_wrong_passwords_freeze_exactly(nginx)
    assert_member_signs_in_and_is_served(nginx)
    assert "OutOfMemoryError" in logs(servers)


def test_it_counts_the_address_across_servers_again_once_redis_is_back(servers, nginx, redis, members):
    redis.stop()
    assert "throttled" in stuffing(nginx, "127.0.0.3", 2 * LIMIT + 1)

    redis.start()  # empty, on the same port
    time.sleep(1.2)  # PORTAL_CACHE_RETRY_SECONDS: each server tries Redis again
    assert [health(server) for server in servers] == [(200, '{"database": "ok", "cache": "ok"}')] * 2
    # One count for both servers again: exactly the limit, wherever nginx sends each attempt.
    assert stuffing(nginx, "127.0.0.4", LIMIT + 2) == ["failed"] * LIMIT + ["throttled"] * 2
    assert redis.command("EXISTS", ":1:signin-failures:127.0.0.4") == ":1"
