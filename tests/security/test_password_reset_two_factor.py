from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import sign_in

from .reset_steps import NEW_PASSWORD, RIGHT_ANSWERS, answer, set_password, start, state_of

CODE_STEP = "/accounts/password-reset/second-factor/"


def test_it_asks_an_enrolled_member_for_the_code_before_the_new_password(client, member, enroll_totp):
    device = enroll_totp(member)
    for _ in range(5):
        sign_in(client, "alice", "wrong")
    step = answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    assert step["Location"] == CODE_STEP
    page = client.get(CODE_STEP)
    assert "Enter your two-factor code" in page.content.decode()
    # A frozen account still passes this step: the reset is what unfreezes it.
    response = client.post(CODE_STEP, {"state": state_of(page), "code": totp_code(device)})
    assert response["Location"] == "/accounts/password-reset/new-password/"
    set_password(client, state_of(client.get(response["Location"])))
    assert not is_frozen("alice")
    assert sign_in(client, "alice", NEW_PASSWORD)["Location"] == "/accounts/login/code/"


def test_it_counts_wrong_codes_as_reset_strikes_and_toward_the_freeze(client, member, enroll_totp):
    enroll_totp(member)
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    state = state_of(client.get(CODE_STEP))
    statuses = [client.post(CODE_STEP, {"state": state, "code": "000000"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # Five wrong codes by this door are five invalid sign-in attempts: the account is frozen too.
    assert is_frozen("alice")
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 403
    failures = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, member=member)
    assert failures.count() == 5 and set(failures.values_list("reason", flat=True)) == {"password reset"}


def test_it_accepts_a_backup_code_for_a_lost_phone(client, member, enroll_totp):
    from security import twofactor

    enroll_totp(member)
    codes = twofactor.new_backup_codes(member=member, request=None)
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    response = client.post(CODE_STEP, {"state": state_of(client.get(CODE_STEP)), "code": codes[0]})
    assert response["Location"] == "/accounts/password-reset/new-password/"


def test_it_ends_the_reset_when_the_code_step_is_skipped(client, member, enroll_totp):
    enroll_totp(member)
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    state = state_of(client.get(CODE_STEP))
    assert set_password(client, state).status_code == 400
    assert client.get(CODE_STEP).status_code == 400  # the reset is over: start again
    member.refresh_from_db()
    assert member.check_password(MEMBER_PASSWORD)
