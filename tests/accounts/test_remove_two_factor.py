"""Turning two-factor off: a wrong code is a guess at the second factor, counted like one at sign-in."""

from django.test import Client

from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
REMOVE = "/accounts/security/two-factor/remove/"


def signed_in_with_code(member, device):
    client = Client()
    sign_in(client, member.username, MEMBER_PASSWORD)
    client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert client.get("/").status_code == 200
    return client


def test_it_counts_wrong_codes_toward_the_freeze_and_audits_them(member, enroll_totp):
    device = enroll_totp(member)
    stolen = signed_in_with_code(member, device)
    statuses = [stolen.post(REMOVE, {"current_password": MEMBER_PASSWORD, "code": f"{n:06d}"}) for n in range(7)]
    pages = [response.content.decode() for response in statuses[:4]]
    assert all("That code is not correct." in page for page in pages)
    assert is_frozen("alice")
    assert "now frozen" in statuses[4].content.decode() or statuses[4].status_code == 403
    failures = SecurityEvent.objects.filter(kind=Kind.SECOND_FACTOR_FAILED, member=member)
    assert failures.count() == 5
    assert set(failures.values_list("reason", flat=True)) == {"turning two-factor sign-in off"}
    # The freeze ended the session that guessed: it cannot try again, and two-factor is still on.
    assert stolen.get("/")["Location"].startswith("/accounts/login/")
    assert device.__class__.objects.filter(pk=device.pk).exists()


def test_it_shares_the_five_strikes_with_sign_in(member, enroll_totp):
    device = enroll_totp(member)
    attacker = Client()
    for _ in range(3):
        sign_in(attacker, "alice", "wrong password")
    session = signed_in_with_code(member, device)  # a right sign-in clears the count
    for _ in range(3):
        sign_in(attacker, "alice", "wrong password")
    for n in range(2):
        session.post(REMOVE, {"current_password": MEMBER_PASSWORD, "code": f"{n:06d}"})
    assert is_frozen("alice")
    assert event_kinds(kind=Kind.ACCOUNT_FROZEN) == [Kind.ACCOUNT_FROZEN]


def test_it_still_removes_with_the_password_and_a_right_code(member, enroll_totp):
    device = enroll_totp(member)
    client = signed_in_with_code(member, device)
    client.post(REMOVE, {"current_password": MEMBER_PASSWORD, "code": "000000"})
    import time

    response = client.post(REMOVE, {"current_password": MEMBER_PASSWORD, "code": totp_code(device, time.time() + 30)})
    assert response.status_code == 302
    assert not device.__class__.objects.filter(user=member).exists()
    assert event_kinds(kind=Kind.SECOND_FACTOR_FAILED) == [Kind.SECOND_FACTOR_FAILED]
