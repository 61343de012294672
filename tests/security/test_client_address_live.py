"""The client address on real servers: behind nginx as docs/deploy.md configures it, and without it.

Clients connect from their own loopback addresses (127.0.0.2, 127.0.0.3); nginx reaches gunicorn
from 127.0.0.1, the one trusted proxy. Without nginx, gunicorn stands in for its own-TLS deployment
(plain HTTP here) with no trusted proxy.
"""

import pytest

from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.live import LiveClient, Nginx

pytestmark = pytest.mark.live

LIMIT = 5
THROTTLED_TEXT = "too many failed sign-ins from your network"
# What a browser sends with a form it posts: the page's own origin, as nginx forwards the host.
ORIGIN = {"Origin": "https://127.0.0.1"}


@pytest.fixture
def nginx(app_servers, tmp_path):
    # The documented deployment: nginx terminates TLS and is the one trusted proxy.
    started = app_servers.start(
        workers=1,
        threads=2,
        PORTAL_BEHIND_TLS_PROXY="true",
        PORTAL_TRUSTED_PROXIES="127.0.0.1",
        SECURE_SSL_REDIRECT="true",
        PORTAL_IP_FAILURE_LIMIT=LIMIT,
    )
    with Nginx(started, workdir=tmp_path) as proxy:
        proxy.app_server = started[0]
        yield proxy


@pytest.fixture
def gunicorn_alone(app_servers):
    # gunicorn's own TLS deployment: no proxy is trusted.
    (server,) = app_servers.start(workers=1, threads=2, PORTAL_IP_FAILURE_LIMIT=LIMIT)
    return server


@pytest.fixture
def member(live_member):
    return live_member


def addresses(kind):
    return sorted(SecurityEvent.objects.filter(kind=kind).values_list("ip_address", flat=True))


def stuff(client, count):
    """`count` wrong passwords for usernames no one has: credential stuffing, one address."""
    return [client.sign_in(f"stuffed-{n}", "password123456").status for n in range(count)]


def test_it_records_each_client_behind_nginx_at_its_own_address(nginx, member):
    first = LiveClient(nginx, source_address="127.0.0.2", headers=ORIGIN)
    second = LiveClient(nginx, source_address="127.0.0.3", headers=ORIGIN)
    assert first.sign_in("alice", MEMBER_PASSWORD).status == 302
    assert second.sign_in("alice", MEMBER_PASSWORD).status == 302

    assert addresses("sign_in_succeeded") == ["127.0.0.2", "127.0.0.3"]
    assert sorted(MemberSession.objects.values_list("ip_address", flat=True)) == ["127.0.0.2", "127.0.0.3"]
    sessions_page = first.get("/accounts/security/sessions/")
    assert sessions_page.status == 200
    assert "127.0.0.2" in sessions_page.text and "127.0.0.3" in sessions_page.text
    assert "127.0.0.1" not in sessions_page.text  # nginx's own address is no one's


def test_it_throttles_only_the_address_that_fails_behind_nginx(nginx, member):
    noisy = LiveClient(nginx, source_address="127.0.0.2", headers=ORIGIN)
    assert stuff(noisy, LIMIT) == [200] * LIMIT
    refused = noisy.sign_in("alice", MEMBER_PASSWORD)
    assert refused.status == 429 and THROTTLED_TEXT in refused.text

    neighbour = LiveClient(nginx, source_address="127.0.0.3", headers=ORIGIN)
    assert neighbour.sign_in("alice", MEMBER_PASSWORD).status == 302
    assert addresses("sign_in_failed") == ["127.0.0.2"] * LIMIT
    assert addresses("sign_in_succeeded") == ["127.0.0.3"]


def test_it_ignores_a_forwarded_for_sent_through_nginx(nginx, member):
    spoofer = LiveClient(nginx, source_address="127.0.0.2", headers=ORIGIN)
    statuses = []
    for n in range(LIMIT + 1):
        spoofer.headers["X-Forwarded-For"] = f"198.51.100.{n}, 127.0.0.3"
        statuses.append(spoofer.sign_in(f"stuffed-{n}", "password123456").status)
    assert statuses == [200] * LIMIT + [429]

    assert addresses("sign_in_failed") == ["127.0.0.2"] * LIMIT
    # The address it named, 127.0.0.3, is untouched by its failures.
    assert LiveClient(nginx, source_address="127.0.0.3", headers=ORIGIN).sign_in("alice", MEMBER_PASSWORD).status == 302


def test_it_takes_https_from_nginx_but_not_from_a_client_that_reaches_gunicorn(nginx):
    through_nginx = LiveClient(nginx, source_address="127.0.0.2")
    assert through_nginx.get("/accounts/login/").status == 200

    direct = LiveClient(nginx.app_server, source_address="127.0.0.2", headers={"X-Forwarded-Proto": "https"})
    redirected = direct.get("/accounts/login/")
    assert redirected.status == 301
    assert redirected.headers["Location"].startswith("https://")


def test_it_does_not_let_a_rotating_forwarded_for_dodge_the_limit_without_nginx(gunicorn_alone, member):
    spoofer = LiveClient(gunicorn_alone, source_address="127.0.0.2")
    statuses = []
    for n in range(LIMIT + 1):
        spoofer.headers["X-Forwarded-For"] = f"198.51.100.{n}"
        statuses.append(spoofer.sign_in(f"stuffed-{n}", "password123456").status)
    spoofer.headers["X-Forwarded-For"] = "127.0.0.3"
    refused = spoofer.sign_in("alice", MEMBER_PASSWORD)
    assert statuses == [200] * LIMIT + [429]
    assert refused.status == 429 and THROTTLED_TEXT in refused.text

    assert set(SecurityEvent.objects.values_list("ip_address", flat=True)) == {"127.0.0.2"}
    assert LiveClient(gunicorn_alone, source_address="127.0.0.3").sign_in("alice", MEMBER_PASSWORD).status == 302
    assert list(MemberSession.objects.values_list("ip_address", flat=True)) == ["127.0.0.3"]


def test_it_does_not_let_a_client_claim_https_from_loopback_without_nginx(app_servers):
    # gunicorn's own default trusts X-Forwarded-Proto from 127.0.0.1; with no proxy configured, nobody is.
    (server,) = app_servers.start(workers=1, threads=1, SECURE_SSL_REDIRECT="true")
    claimed = LiveClient(server, headers={"X-Forwarded-Proto": "https"}).get("/accounts/login/")
    assert claimed.status == 301
    assert claimed.headers["Location"].startswith("https://")
