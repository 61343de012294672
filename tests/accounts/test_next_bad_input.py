"""Where sign-in, the code step and "Stay signed in" send the browser: a path on this site, or home."""

import pytest
from django.contrib.auth import SESSION_KEY

from security import twofactor
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
HOSTILE_NEXT = [
    "abc",
    "home",
    "accounts:logout",
    "//evil.example/",
    "http://evil.example/",
    "/\\evil.example",
    "/claims/\r\nLocation: http://evil.example/",
    "/claims/\x00",
    "/claims/\u202e",
    "javascript:alert(1)",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_it_signs_in_and_goes_home_for_a_next_that_is_not_a_path_here(client, member, target):
    response = sign_in(client, "alice", MEMBER_PASSWORD, next=target)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert event_kinds(member=member) == [Kind.SIGN_IN_SUCCEEDED]
    assert client.get("/").status_code == 200


def test_it_keeps_a_next_that_is_a_path_here(client, member):
    response = sign_in(client, "alice", MEMBER_PASSWORD, next="/accounts/security/?from=mail")
    assert response["Location"] == "/accounts/security/?from=mail"


def test_it_does_not_carry_a_bare_word_into_the_sign_in_form(client, member):
    page = client.get("/accounts/login/", {"next": "abc"})
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="">' in page.content.decode()


def test_it_sends_a_signed_in_member_home_for_a_bare_word(client, member):
    client.force_login(member)
    response = client.get("/accounts/login/", {"next": "abc"})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("target", ["abc", "//evil.example/", "/claims/\x00"])
def test_it_goes_home_after_the_code_step_for_a_hostile_next(client, member, enroll_totp, target):
    device = enroll_totp(member)
    assert sign_in(client, "alice", MEMBER_PASSWORD, next=target)["Location"] == "/accounts/login/code/"
    response = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert event_kinds(member=member) == [Kind.SIGN_IN_SUCCEEDED]


def test_it_goes_home_for_a_bare_word_a_pending_sign_in_already_holds(client, member, enroll_totp):
    """A pending sign-in kept in the session from before: its `next` is checked again on the way out."""
    device = enroll_totp(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    session = client.session
    session[twofactor.PENDING_KEY] = {**session[twofactor.PENDING_KEY], "next": "abc"}
    session.save()
    response = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    ("target", "location"), [*((t, "/") for t in HOSTILE_NEXT), ("/claims/?page=2", "/claims/?page=2")]
)
def test_it_stays_signed_in_and_returns_only_to_a_path_here(client, member, target, location):
    client.force_login(member)
    response = client.post("/accounts/session/keep-alive/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == location
    assert client.get("/").status_code == 200


def test_it_sends_the_support_site_sign_in_only_to_a_path_here(client, member):
    response = client.get("/admin/login/", {"next": "//evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
