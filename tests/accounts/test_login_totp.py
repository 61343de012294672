import time

from django.contrib.auth import SESSION_KEY

from security import twofactor
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
CODE_URL = "/accounts/login/code/"


def enter_code(client, code):
    return client.post(CODE_URL, {"code": code})


def test_it_asks_for_the_code_before_signing_in(client, member, enroll_totp):
    device = enroll_totp(member)
    response = sign_in(client, "alice", MEMBER_PASSWORD, next="/accounts/security/")
    assert response["Location"] == CODE_URL
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302
    page = client.get(CODE_URL).content.decode()
    assert "Signing in as <strong>alice</strong>" in page and 'autocomplete="one-time-code"' in page
    response = enter_code(client, totp_code(device))
    assert response["Location"] == "/accounts/security/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert client.get("/").status_code == 200
    assert event_kinds(member=member) == [Kind.SIGN_IN_SUCCEEDED]


def test_it_refuses_a_wrong_or_stale_code(client, member, enroll_totp):
    device = enroll_totp(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    for code in ("000000", totp_code(device, at=time.time() - 120), "", "x" * 5000, "12\x003456"):
        response = enter_code(client, code)
        assert response.status_code == 200, code
        assert SESSION_KEY not in client.session


def test_it_never_accepts_the_same_code_twice(client, member, enroll_totp):
    from django.test import Client

    device = enroll_totp(member)
    code = totp_code(device)
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert enter_code(client, code).status_code == 302
    replay = Client()
    sign_in(replay, "alice", MEMBER_PASSWORD)
    assert "That code was just used" in enter_code(replay, code).content.decode()
    assert SESSION_KEY not in replay.session


def test_it_freezes_the_account_after_five_wrong_codes(client, member, enroll_totp):
    device = enroll_totp(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    statuses = [enter_code(client, "000000").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 403]
    assert enter_code(client, totp_code(device)).status_code == 403
    assert SESSION_KEY not in client.session
    assert event_kinds(member=member).count(Kind.SECOND_FACTOR_FAILED) == 5
    assert Kind.ACCOUNT_FROZEN in event_kinds(member=member)


def test_it_counts_wrong_codes_and_wrong_passwords_together(client, member, enroll_totp):
    enroll_totp(member)
    sign_in(client, "alice", "wrong one")
    sign_in(client, "alice", "wrong two")
    sign_in(client, "alice", MEMBER_PASSWORD)
    statuses = [enter_code(client, "111111").status_code for _ in range(3)]
    assert statuses == [200, 200, 403]


def test_it_forgets_a_pending_sign_in_after_five_minutes(client, member, enroll_totp, monkeypatch, settings):
    device = enroll_totp(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    later = time.time() + settings.PORTAL_TWO_FACTOR_PENDING_SECONDS + 1
    monkeypatch.setattr(twofactor.time, "time", lambda: later)
    response = enter_code(client, totp_code(device, at=time.time()))
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_it_never_signs_in_with_a_code_alone(client, member, enroll_totp):
    device = enroll_totp(member)
    assert enter_code(client, totp_code(device))["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_it_accepts_each_backup_code_once(client, member, enroll_totp):
    from django.test import RequestFactory

    enroll_totp(member)
    request = RequestFactory().get("/")
    request.session, request.user = {}, member
    codes = twofactor.new_backup_codes(member=member, request=None)
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert enter_code(client, codes[3].upper().replace("-", " ")).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert enter_code(client, codes[3]).status_code == 200
    assert twofactor.backup_codes_left(member) == 9


def test_it_keeps_members_without_two_factor_on_one_step(client, member):
    assert sign_in(client, "alice", MEMBER_PASSWORD)["Location"] == "/"
