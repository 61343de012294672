import pytest
from django.core import signing
from django.test import Client

from security.models import ResetStrikes, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

from .reset_steps import RIGHT_ANSWERS, answer, reach_password_step, set_password, start, state_of

EXPIRED = "This password reset has expired or was already used."


def still_has_old_password(member):
    member.refresh_from_db()
    return member.check_password(MEMBER_PASSWORD)


def test_it_refuses_a_step_after_ten_minutes(client, member, monkeypatch):
    state = state_of(start(client, "alice"))
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 601)
    response = answer(client, state, RIGHT_ANSWERS)
    assert response.status_code == 400 and EXPIRED in response.content.decode()


def test_it_refuses_a_replayed_step(client, member):
    questions_state = state_of(start(client, "alice"))
    password_state = state_of(reach_password_step(client))
    assert set_password(client, password_state).status_code == 302
    for replay in (
        answer(client, questions_state, RIGHT_ANSWERS),
        set_password(client, password_state, "another long passphrase"),
    ):
        assert replay.status_code == 400 and EXPIRED in replay.content.decode()


def test_it_refuses_a_tampered_state(client, member):
    state = state_of(start(client, "alice"))
    payload, rest = state.split(":", 1)
    forged = signing.dumps({"u": "alice", "s": "password", "n": "x"}, salt="security.reset").split(":", 1)[0]
    for bad in (forged + ":" + rest, state[:-2] + "AA", "", "x" * 100_000):
        response = set_password(client, bad)
        assert response.status_code == 400 and EXPIRED in response.content.decode()
    assert still_has_old_password(member)


def test_it_refuses_a_state_signed_for_another_salt_or_username(client, member, make_member):
    make_member("bob")
    start(client, "bob")
    other = signing.dumps({"u": "alice", "s": "password", "n": "x"}, salt="security.reset")
    assert set_password(client, other).status_code == 400
    assert still_has_old_password(member)


def test_it_refuses_skipping_straight_to_the_new_password(client, member):
    state = state_of(start(client, "alice"))
    response = set_password(client, state)
    assert response.status_code == 400 and EXPIRED in response.content.decode()
    assert client.get("/accounts/password-reset/new-password/").status_code == 400
    assert still_has_old_password(member)


def test_it_refuses_a_state_from_another_browser(client, member):
    state = state_of(start(client, "alice"))
    stranger = Client()
    start(stranger, "bob")
    assert answer(stranger, state, RIGHT_ANSWERS).status_code == 400


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["a" * 1_000_000, "b", "c"], "Ensure this value has at most 200 characters"),
        (["Elm\x00Row", "b", "c"], "Null characters are not allowed."),
        (["", "", ""], "This field is required."),
    ],
    ids=["1MB", "NUL", "empty"],
)
def test_it_refuses_bad_answers_clearly_without_a_strike(client, member, answers, message):
    state = state_of(start(client, "alice"))
    response = answer(client, state, answers)
    assert response.status_code == 200 and message in response.content.decode()
    assert not ResetStrikes.objects.filter(failures__gt=0).exists()
    assert answer(client, state, RIGHT_ANSWERS).status_code == 302


def test_it_refuses_a_huge_or_nul_username(client, db):
    for username, message in [("a" * 1_000_000, "at most 150 characters"), ("al\x00ice", "Null characters")]:
        response = client.post("/accounts/password-reset/", {"username": username})
        assert response.status_code == 200 and message in response.content.decode()
    assert not SecurityEvent.objects.exists()


def test_it_refuses_every_step_without_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/password-reset/", {"username": "alice"}).status_code == 403
    assert client.post("/accounts/password-reset/questions/", {"answer_1": "x"}).status_code == 403
    assert client.post("/accounts/password-reset/new-password/", {"new_password1": "x"}).status_code == 403
    assert not SecurityEvent.objects.exists()
    assert sign_in(Client(), "alice", MEMBER_PASSWORD).status_code == 302
