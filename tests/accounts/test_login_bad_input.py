import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client

from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

MEGABYTE = 1024 * 1024


def nothing_was_recorded():
    return not SecurityEvent.objects.exists() and not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", "This field is required."),
        ("alice", "", "This field is required."),
        ("", MEMBER_PASSWORD, "This field is required."),
        ("a" * MEGABYTE, "x", "Ensure this value has at most 150 characters"),
        ("alice", "p" * MEGABYTE, "Ensure this value has at most 1024 characters"),
        ("ali\x00ce", MEMBER_PASSWORD, "Null characters are not allowed."),
        ("alice", "correct\x00horse", "Null characters are not allowed."),
    ],
    ids=[
        "both-empty",
        "empty-password",
        "empty-username",
        "1MB-username",
        "1MB-password",
        "NUL-username",
        "NUL-password",
    ],
)
def test_it_refuses_bad_input_clearly_and_counts_nothing(client, member, username, password, message):
    response = sign_in(client, username, password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SESSION_KEY not in client.session
    assert nothing_was_recorded()


def test_it_does_not_echo_a_huge_password(client, member):
    response = sign_in(client, "alice", "p" * MEGABYTE)
    assert len(response.content) < 20_000


def test_it_does_not_echo_a_huge_username(client, member):
    response = sign_in(client, "a" * MEGABYTE, "x")
    assert len(response.content) < 20_000
    assert 'name="username" value=' not in response.content.decode()


def test_it_shows_a_username_that_fits_again(client, member):
    response = sign_in(client, "alicia", "x")
    assert 'name="username" value="alicia"' in response.content.decode()


def test_it_treats_a_look_alike_username_as_another_name(client, member):
    cyrillic_a = "\u0430lice"
    response = sign_in(client, cyrillic_a, MEMBER_PASSWORD)
    assert "The username or password is not correct." in response.content.decode()
    assert SESSION_KEY not in client.session
    for _ in range(5):
        sign_in(client, cyrillic_a, "wrong")
    assert not is_frozen("alice")
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302


def test_it_handles_unicode_passwords(client, make_member):
    make_member("zoe", password="mot de passe très sûr — 安全な合言葉 🔐")
    assert sign_in(client, "zoe", "mot de passe très sûr — 安全な合言葉 🔐").status_code == 302


def test_it_refuses_a_sign_in_without_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD})
    assert response.status_code == 403
    assert SESSION_KEY not in client.session
    assert nothing_was_recorded()


def test_it_refuses_a_wrong_password_without_csrf_token_without_counting_it(member):
    client = Client(enforce_csrf_checks=True)
    for _ in range(6):
        assert client.post("/accounts/login/", {"username": "alice", "password": "x"}).status_code == 403
    assert not is_frozen("alice")
    assert nothing_was_recorded()


def test_it_refuses_a_flood_of_form_fields(client, member):
    fields = {f"f{n}": "x" for n in range(2000)}
    response = client.post("/accounts/login/", {"username": "alice", "password": "x", **fields})
    assert response.status_code == 400
    assert nothing_was_recorded()
