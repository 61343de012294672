"""The reset tool's per-address limit: answer guessing spread over many usernames."""

from django.test import Client

from security.models import ResetStrikes, SecurityEvent

from .reset_steps import RIGHT_ANSWERS, answer, start, state_of

Kind = SecurityEvent.Kind
WRONG = ["wrong one", "wrong two", "wrong three"]


def test_it_refuses_an_address_that_guesses_answers_across_usernames(client, member, settings):
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 4
    statuses = [answer(client, state_of(start(client, f"name{n}")), WRONG).status_code for n in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    refused = answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    assert (
        refused.status_code == 429 and "too many failed password resets from your network" in refused.content.decode()
    )
    # Refused unchecked: no strike taken for the names tried after the limit.
    assert ResetStrikes.objects.filter(failures__gt=0).count() == 4
    assert SecurityEvent.objects.filter(kind=Kind.RESET_REFUSED_ADDRESS).count() == 1  # once a minute per address


def test_it_lets_other_addresses_reset_meanwhile(client, member, settings):
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 2
    for n in range(3):
        answer(client, state_of(start(client, f"name{n}")), WRONG)
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert answer(elsewhere, state_of(start(elsewhere, "alice")), RIGHT_ANSWERS).status_code == 302


def test_it_gives_back_the_place_of_right_answers(client, member, settings):
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 2
    for _ in range(5):
        assert answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS).status_code == 302
