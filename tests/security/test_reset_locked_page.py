"""The reset tool's locked page says what locked it: wrong answers, and wrong two-factor codes too."""

import re

from django.test import Client

from security.models import ResetStrikes
from tests.conftest import totp_code

from .reset_steps import RIGHT_ANSWERS, answer, start, state_of

CODE_STEP = "/accounts/password-reset/second-factor/"
CAUSE = "too many wrong answers or two-factor codes for <strong>alice</strong>"


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_it_names_wrong_codes_when_codes_locked_it(client, member, enroll_totp):
    device = enroll_totp(member)
    step = answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    assert step.status_code == 302 and step["Location"] == CODE_STEP
    state = state_of(client.get(CODE_STEP))
    wrong = [code for code in (f"{n:06d}" for n in range(6)) if code != totp_code(device)][:5]
    statuses = [client.post(CODE_STEP, {"state": state, "code": code}).status_code for code in wrong]
    assert statuses == [200, 200, 200, 200, 429]
    locked = start(Client(), "alice")
    page = text_of(locked)
    assert locked.status_code == 429 and "Password reset is locked" in page
    assert CAUSE in page and "locked for this username until" in page


def test_it_says_the_same_when_answers_locked_it(client, member):
    for _ in range(5):
        answer(client, state_of(start(client, "alice")), ["wrong one", "wrong two", "wrong three"])
    page = text_of(start(Client(), "alice"))
    assert CAUSE in page and "locked for this username until" in page


def test_it_names_codes_when_the_reset_is_held_for_support(client, member):
    ResetStrikes.objects.create(username="alice", failures=0, total_failures=10, held=True)
    locked = start(client, "alice")
    page = text_of(locked)
    assert locked.status_code == 429 and "too many wrong answers or two-factor codes" in page
    assert "until Member Support unlocks it" in page
