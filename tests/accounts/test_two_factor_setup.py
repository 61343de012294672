import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import twofactor
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

SETUP = "/accounts/security/two-factor/setup/"
Kind = SecurityEvent.Kind


def unlock_setup(client):
    return client.post(SETUP, {"current_password": MEMBER_PASSWORD})


def test_it_asks_for_the_password_before_showing_a_secret(client, member):
    client.force_login(member)
    page = client.get(SETUP).content.decode()
    assert "enter your password again" in page and "<svg" not in page
    wrong = client.post(SETUP, {"current_password": "nope"})
    assert "That is not your current password." in wrong.content.decode()
    assert not TOTPDevice.objects.exists()


def test_it_shows_a_locally_drawn_qr_code_and_the_secret(client, member):
    client.force_login(member)
    unlock_setup(client)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    assert "<svg" in page and "<img" not in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0]
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert secret == twofactor.secret_text(device).replace(" ", "")


def test_it_turns_on_after_a_right_code_and_shows_ten_backup_codes_once(
    client, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    unlock_setup(client)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=member)
    assert "does not match" in client.post(SETUP, {"code": "123456"}).content.decode()
    assert not twofactor.has_two_factor(member)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(SETUP, {"code": totp_code(device)}).content.decode()
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)
    assert len(set(codes)) == 10 and "will not be shown again" in page
    assert twofactor.has_two_factor(member)
    assert Kind.TWO_FACTOR_ENABLED in event_kinds(member=member)
    assert [m.subject for m in mail.outbox] == ["Two-factor sign-in is on"]
    assert not any(code in client.get("/accounts/security/two-factor/").content.decode() for code in codes)
    stored = str(list(member.backupcodedevice_set.values_list("code_hashes", flat=True)))
    assert not any(code.replace("-", "") in stored for code in codes)


def test_it_makes_new_backup_codes_that_replace_the_old(client, member, enroll_totp):
    enroll_totp(member)
    old = twofactor.new_backup_codes(member=member, request=None)
    client.force_login(member)
    assert client.post("/accounts/security/two-factor/backup-codes/", {"current_password": "x"}).status_code == 302
    assert twofactor.backup_codes_left(member) == 10
    page = client.post("/accounts/security/two-factor/backup-codes/", {"current_password": MEMBER_PASSWORD})
    new = re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert twofactor.match_code(member, old[0]) is None and twofactor.match_code(member, new[0]) is not None


def test_it_removes_two_factor_only_with_password_and_a_current_code(
    client, member, enroll_totp, django_capture_on_commit_callbacks
):
    device = enroll_totp(member)
    client.force_login(member)
    url = "/accounts/security/two-factor/remove/"
    client.post(url, {"current_password": MEMBER_PASSWORD, "code": "000000"})
    client.post(url, {"current_password": "wrong", "code": totp_code(device)})
    assert twofactor.has_two_factor(member)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"current_password": MEMBER_PASSWORD, "code": totp_code(device)}).status_code == 302
    assert not twofactor.has_two_factor(member)
    assert [m.subject for m in mail.outbox] == ["Two-factor sign-in was removed"]
    assert sign_in(client, "alice", MEMBER_PASSWORD)["Location"] == "/"


def test_it_leads_staff_without_a_device_to_enroll_at_first_sign_in(client, make_member):
    make_member("sam", is_staff=True, is_superuser=True, with_questions=False)
    sign_in(client, "sam", MEMBER_PASSWORD)
    for page in ("/", "/admin/", "/accounts/security/"):
        assert client.get(page, follow=True).redirect_chain[-1][0] == SETUP, page
    unlock_setup(client)
    client.get(SETUP)
    client.post(SETUP, {"code": totp_code(TOTPDevice.objects.get())})
    assert client.get("/admin/").status_code == 200


def test_it_can_require_two_factor_of_every_member(client, member, settings):
    settings.PORTAL_REQUIRE_TWO_FACTOR = True
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert client.get("/")["Location"] == SETUP
    assert "Turn off" not in client.get("/accounts/security/two-factor/", follow=True).content.decode()


@pytest.mark.parametrize("command", ["create_staff", "createsuperuser"])
def test_it_leaves_new_staff_needing_enrollment(client, db, command, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", MEMBER_PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO(MEMBER_PASSWORD + "\n"))
    if command == "create_staff":
        out = io.StringIO()
        call_command(
            "create_staff", "sam", "--email", "sam@example.com", "--role", "support", "--password-stdin", stdout=out
        )
        assert "Created staff account sam (Support role); two-factor enrollment at first sign-in." in out.getvalue()
    else:
        call_command(
            "createsuperuser", "--noinput", "--username", "sam", "--email", "s@example.com", stdout=io.StringIO()
        )
    assert sign_in(client, "sam", MEMBER_PASSWORD)["Location"] == "/"
    assert client.get("/")["Location"] == SETUP


def test_support_can_remove_a_lost_device_with_a_reason(member, enroll_totp):
    enroll_totp(member)
    out = io.StringIO()
    call_command("reset_two_factor", "alice", "--reason", "lost phone, identity checked by call", stdout=out)
    assert "Removed two-factor sign-in from alice." in out.getvalue()
    assert not twofactor.has_two_factor(member)
    event = SecurityEvent.objects.get(kind=Kind.TWO_FACTOR_REMOVED)
    assert event.reason == "lost phone, identity checked by call" and event.actor.startswith("operator:")


def test_it_offers_to_end_the_sessions_signed_in_without_it(client, member):
    from django.test import Client

    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.post("/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD})
    assert laptop.get("/").status_code == 200
    client.force_login(member)
    unlock_setup(client)
    client.get(SETUP)
    page = client.post(SETUP, {"code": totp_code(TOTPDevice.objects.get(user=member))}).content.decode()
    assert "You are also signed in in 2 other places." in page and "Sign out everywhere else" in page
    ended = client.post("/accounts/security/sessions/end-others/", follow=True)
    assert "Signed out 2 other sessions." in ended.content.decode()
    for device in (laptop, phone):
        assert device.get("/")["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 200


def test_it_offers_nothing_when_there_is_no_other_session(client, member):
    client.force_login(member)
    unlock_setup(client)
    client.get(SETUP)
    page = client.post(SETUP, {"code": totp_code(TOTPDevice.objects.get(user=member))}).content.decode()
    assert "will not be shown again" in page and "Sign out everywhere else" not in page
