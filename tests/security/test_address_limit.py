from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

THROTTLED_TEXT = "too many failed sign-ins from your network"


def test_it_refuses_an_address_that_guesses_across_many_usernames(client, member, settings):
    settings.PORTAL_IP_FAILURE_LIMIT = 6
    for n in range(6):
        assert sign_in(client, f"stuffed-{n}", "password123456").status_code == 200
    response = sign_in(client, "stuffed-99", "password123456")
    assert response.status_code == 429 and THROTTLED_TEXT in response.content.decode()


def test_it_never_freezes_a_member_for_the_address_limit(client, member, settings):
    settings.PORTAL_IP_FAILURE_LIMIT = 3
    for n in range(3):
        sign_in(client, f"stuffed-{n}", "password123456")
    for _ in range(10):
        assert sign_in(client, "alice", "wrong").status_code == 429
    assert not is_frozen("alice")
    kinds = set(SecurityEvent.objects.filter(username="alice").values_list("kind", flat=True))
    assert kinds == {SecurityEvent.Kind.SIGN_IN_REFUSED_ADDRESS}


def test_it_lets_other_addresses_in_meanwhile(client, member, settings):
    settings.PORTAL_IP_FAILURE_LIMIT = 3
    for n in range(3):
        sign_in(client, f"stuffed-{n}", "password123456")
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": MEMBER_PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302


def test_it_lifts_the_limit_when_the_window_ends(client, member, settings):
    from django.core.cache import cache

    settings.PORTAL_IP_FAILURE_LIMIT = 2
    sign_in(client, "x1", "password123456")
    sign_in(client, "x2", "password123456")
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 429
    cache.delete("signin-failures:127.0.0.1")  # what the window's expiry does
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
