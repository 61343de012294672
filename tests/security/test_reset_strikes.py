"""The reset tool's own strikes: never cleared by right answers, kept across restarts, bounded in all."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from security.lockout import is_frozen
from security.models import ResetStrikes, SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

from .reset_steps import RIGHT_ANSWERS, answer, set_password, start, state_of

Kind = SecurityEvent.Kind
CODE_STEP = "/accounts/password-reset/second-factor/"
WRONG = ["wrong one", "wrong two", "wrong three"]


def lock_period_ends(username="alice"):
    """What the passing of PORTAL_RESET_LOCK_SECONDS does to the row."""
    from django.utils import timezone

    ResetStrikes.objects.filter(username=username, locked_until__isnull=False).update(locked_until=timezone.now())


def wrong_answers(client, username="alice"):
    questions = start(client, username)
    if questions.status_code != 200:  # the reset is locked: no form to fill in
        return questions
    return answer(client, state_of(questions), WRONG)


def guess_codes_after_right_answers(client, guesses):
    """The attack: someone who knows the answers restarts the reset and guesses codes."""
    questions = start(client, "alice")
    if questions.status_code != 200:
        return [questions.status_code]
    step = answer(client, state_of(questions), RIGHT_ANSWERS)
    if step.status_code != 302 or step["Location"] != CODE_STEP:
        return [step.status_code]
    state = state_of(client.get(CODE_STEP))
    return [client.post(CODE_STEP, {"state": state, "code": f"{n:06d}"}).status_code for n in range(guesses)]


def test_it_does_not_let_right_answers_clear_the_strikes_of_wrong_codes(client, member, enroll_totp):
    enroll_totp(member)
    statuses = []
    for _ in range(4):  # restart, answer right, four wrong codes; again and again
        statuses += guess_codes_after_right_answers(client, 4)
    # Four wrong codes, then the fifth froze the account and locked the reset: every later try refused unchecked.
    assert statuses[:5] == [200, 200, 200, 200, 429] and set(statuses[5:]) == {429}
    assert event_kinds(kind=Kind.SECOND_FACTOR_FAILED) == [Kind.SECOND_FACTOR_FAILED] * 5
    assert is_frozen("alice")
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 403


def test_it_counts_reset_code_failures_with_sign_in_code_failures(client, member, enroll_totp):
    enroll_totp(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    for _ in range(3):
        client.post("/accounts/login/code/", {"code": "000000"})
    reset_client = Client()
    statuses = guess_codes_after_right_answers(reset_client, 3)
    # 3 wrong at sign-in + 2 here is five: the second wrong code here froze the account.
    assert statuses == [200, 200, 200] and is_frozen("alice")
    assert event_kinds(kind=Kind.ACCOUNT_FROZEN) == [Kind.ACCOUNT_FROZEN]


def test_it_still_unfreezes_a_frozen_account_with_answers_and_a_right_code(client, member, enroll_totp):
    device = enroll_totp(member)
    for _ in range(5):
        sign_in(client, "alice", "wrong")
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    state = state_of(client.get(CODE_STEP))
    assert client.post(CODE_STEP, {"state": state, "code": "000000"}).status_code == 200
    step = client.post(CODE_STEP, {"state": state, "code": totp_code(device)})
    assert step["Location"] == "/accounts/password-reset/new-password/"
    assert set_password(client, state_of(client.get(step["Location"])))["Location"] == "/accounts/password-reset/done/"
    assert not is_frozen("alice") and not ResetStrikes.objects.exists()


def test_it_keeps_strikes_across_a_restart_and_after_right_answers(client, member):
    for _ in range(3):
        wrong_answers(client)
    assert answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS).status_code == 302
    assert ResetStrikes.objects.get(username="alice").failures == 3  # the right answer took none away
    assert wrong_answers(Client()).status_code == 200
    assert wrong_answers(Client()).status_code == 429  # the fifth, over two browsers and a success


def test_it_holds_the_reset_locked_after_the_total_until_support_unlocks_it(
    client, member, settings, role_client, django_capture_on_commit_callbacks
):
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 100
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):  # three lock periods' worth of wrong answers
            statuses += [wrong_answers(client).status_code for _ in range(5)]
            lock_period_ends()
    total = settings.PORTAL_RESET_TOTAL_FAILURE_LIMIT
    assert statuses.count(200) == total - 2 and statuses.count(429) == 15 - (total - 2)
    assert ResetStrikes.objects.get(username="alice").total_failures == total
    refused = wrong_answers(client)
    assert refused.status_code == 429 and "until Member Support unlocks it" in refused.content.decode()
    # The right answers cannot even be given (the questions page says it is locked), and the member was told.
    assert start(Client(), "alice").status_code == 429
    assert [m.subject for m in mail.outbox][-1] == "Password reset locked: call Member Support"
    assert event_kinds(kind=Kind.RESET_HELD) == [Kind.RESET_HELD]

    support = role_client("Support")
    page = support.post(
        "/admin/accounts/user/",
        {"action": "unlock_reset", "_selected_action": [member.pk], "apply": "1", "reason": "called, ID checked"},
        follow=True,
    )
    assert "done for 1 of 1" in page.content.decode()
    assert answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS).status_code == 302
    event = SecurityEvent.objects.get(kind=Kind.RESET_UNLOCKED)
    assert (event.member, event.actor, event.reason) == (member, "support-agent", "called, ID checked")


def test_an_operator_unlocks_the_reset_with_a_reason(member, monkeypatch):
    ResetStrikes.objects.create(username="alice", failures=0, total_failures=10, held=True)
    out = io.StringIO()
    call_command("unlock_reset", "alice", "--reason", "verified by phone", stdout=out)
    assert "Unlocked the password reset of alice." in out.getvalue()
    assert not ResetStrikes.objects.exists()
    out = io.StringIO()
    call_command("unlock_reset", "alice", "--reason", "again", stdout=out)
    assert "was not locked" in out.getvalue()
    assert event_kinds(kind=Kind.RESET_UNLOCKED) == [Kind.RESET_UNLOCKED]


def test_it_holds_unknown_names_the_same_way(client, db, settings):
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 100
    for _ in range(2):
        for _ in range(5):
            wrong_answers(client, "nobody")
        lock_period_ends(ResetStrikes.objects.get().username)
    refused = wrong_answers(client, "nobody")
    assert refused.status_code == 429 and "until Member Support unlocks it" in refused.content.decode()
    assert "nobody" not in ResetStrikes.objects.get().username  # kept only as its keyed stand-in


@pytest.mark.parametrize("limit", [3, 10])
def test_it_follows_the_configured_total(client, member, settings, limit):
    settings.PORTAL_RESET_TOTAL_FAILURE_LIMIT = limit
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 100
    for _ in range(limit):
        wrong_answers(client)
        lock_period_ends()
    assert ResetStrikes.objects.get(username="alice").held
