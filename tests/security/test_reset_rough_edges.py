"""The reset tool from a frozen page, its "locked until" time, and its code step's own audit events."""

import re
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.test import Client

from security import reset, twofactor
from security.lockout import failure_count
from security.models import ResetStrikes, SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, page_without_tokens, sign_in

from .reset_steps import RIGHT_ANSWERS, answer, start, state_of

Kind = SecurityEvent.Kind
RESET = "/accounts/password-reset/"
CODE_STEP = "/accounts/password-reset/second-factor/"
WRONG = ["wrong one", "wrong two", "wrong three"]
USERNAME_INPUT = re.compile(r'<input[^>]*name="username"[^>]*>')


def username_input(response):
    return USERNAME_INPUT.search(response.content.decode()).group(0)


def freeze_by_sign_in(client, username):
    responses = [sign_in(client, username, f"wrong {n}") for n in range(5)]
    assert responses[-1].status_code == 403 and "This account is frozen" in responses[-1].content.decode()


def test_the_frozen_page_brings_the_username_to_the_reset_tool(client, member):
    freeze_by_sign_in(client, "Alice ")
    # In a signed cookie of this browser: a refused attempt costs no session row.
    assert "sessionid" not in client.cookies and not Session.objects.exists()
    assert 'value="alice"' in username_input(client.get(RESET))
    # Used once: the reset started, the form is empty again.
    client.post(RESET, {"username": "alice"})
    assert 'value="alice"' not in username_input(client.get(RESET))


def test_a_forged_prefill_cookie_fills_in_nothing(client, member):
    client.cookies["portal_reset_username"] = "alice"
    assert 'value="alice"' not in username_input(client.get(RESET))


def test_it_reads_the_same_for_an_unknown_name(make_member):
    make_member("alice")
    pages = {}
    for name in ("alice", "alicx"):
        browser = Client()
        freeze_by_sign_in(browser, name)
        response = browser.get(RESET)
        assert f'value="{name}"' in username_input(response)
        pages[name] = (response.status_code, page_without_tokens(response).replace(name, "NAME"))
    assert pages["alice"] == pages["alicx"]


def test_a_link_from_elsewhere_cannot_fill_in_a_name(client, member):
    response = client.get(RESET, {"username": "alice"})
    assert "value=" not in username_input(response)
    assert "alice" not in response.content.decode()


def test_the_frozen_code_step_brings_the_username_too(client, member, enroll_totp):
    enroll_totp(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    statuses = [client.post("/accounts/login/code/", {"code": "000000"}).status_code for _ in range(5)]
    assert statuses[-1] == 403
    assert 'value="alice"' in username_input(client.get(RESET))


def test_the_locked_page_says_until_when(client, member):
    for _ in range(5):
        locked = answer(client, state_of(start(client, "alice")), WRONG)
    until = reset.locked_until("alice")
    stored = ResetStrikes.objects.get(username="alice").locked_until
    assert timedelta(0) <= until - stored < timedelta(minutes=1)  # rounded up to the minute shown
    page = locked.content.decode()
    assert locked.status_code == 429
    assert f'until <time datetime="{until.isoformat()}">{until:%-I:%M %p} (UTC)</time>' in page
    # Coming back while it is locked: the same time.
    again = client.post(RESET, {"username": "alice"})
    assert again.status_code == 302
    assert f"{until:%-I:%M %p} (UTC)" in client.get("/accounts/password-reset/questions/").content.decode()


def test_the_held_page_says_until_support_unlocks_it(client, member):
    ResetStrikes.objects.create(username="alice", held=True, failures=0, total_failures=10)
    questions = start(client, "alice")
    page = questions.content.decode()
    assert questions.status_code == 429 and "until Member Support unlocks it" in page and "<time" not in page


def test_the_code_step_is_audited_as_its_own_kind(client, member, enroll_totp):
    device = enroll_totp(member)
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    state = state_of(client.get(CODE_STEP))
    assert client.post(CODE_STEP, {"state": state, "code": "000000"}).status_code == 200
    assert event_kinds(kind=Kind.RESET_CODE_FAILED) == [Kind.RESET_CODE_FAILED]
    # Still one invalid sign-in attempt toward the freeze, audited as before.
    assert event_kinds(kind=Kind.SECOND_FACTOR_FAILED) == [Kind.SECOND_FACTOR_FAILED]
    assert failure_count("alice") == 1
    response = client.post(CODE_STEP, {"state": state, "code": totp_code(device)})
    assert response["Location"] == "/accounts/password-reset/new-password/"
    assert event_kinds(kind=Kind.RESET_CODE_PASSED) == [Kind.RESET_CODE_PASSED]
    assert failure_count("alice") == 1


def test_five_wrong_reset_codes_are_exactly_five_toward_the_freeze(client, member, enroll_totp):
    enroll_totp(member)
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    state = state_of(client.get(CODE_STEP))
    statuses = [client.post(CODE_STEP, {"state": state, "code": "000000"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert failure_count("alice") == 5
    assert event_kinds(kind=Kind.RESET_CODE_FAILED) == [Kind.RESET_CODE_FAILED] * 5
    assert event_kinds(kind=Kind.SECOND_FACTOR_FAILED) == [Kind.SECOND_FACTOR_FAILED] * 5


def test_the_code_just_used_is_named_in_the_reset_too(client, member, enroll_totp, monkeypatch):
    import time

    now = (int(time.time()) // 30) * 30 + 3.0
    monkeypatch.setattr(time, "time", lambda: now)
    device = enroll_totp(member)
    assert twofactor.match_code(member, totp_code(device)) is not None  # used a moment ago
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    state = state_of(client.get(CODE_STEP))
    page = client.post(CODE_STEP, {"state": state, "code": totp_code(device)}).content.decode()
    assert "That code was just used" in page


def test_a_name_in_any_script_is_brought_along(client, member):
    freeze_by_sign_in(client, "алиса")
    assert 'value="алиса"' in username_input(client.get(RESET))
