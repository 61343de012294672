"""Passkeys beyond signing in: the reset tool's second factor, staff when the support site requires a
passkey, staff removing a member's two-factor sign-in, and the notice of a passkey used on a new
device. Driven with a software authenticator (tests/webauthn_authenticator.py) and the server's real
verification."""

import re
import time
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from security.lockout import freeze_account, is_frozen
from security.models import ResetStrikes, SecurityEvent
from security.usernames import account_key
from tests.accounts.test_passkeys import add_passkey, post_json, sign_in_with_passkey
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in
from tests.security.reset_steps import NEW_PASSWORD, RIGHT_ANSWERS, answer, set_password, start, state_of
from tests.webauthn_authenticator import SoftAuthenticator

Kind = SecurityEvent.Kind
ORIGIN = "http://testserver"
CODE_STEP = "/accounts/password-reset/second-factor/"
RESET_OPTIONS = "/accounts/password-reset/second-factor/passkey/options/"
RESET_PASSKEY = "/accounts/password-reset/second-factor/passkey/"
NEW_PASSWORD_STEP = "/accounts/password-reset/new-password/"
DATA_STATE = re.compile(r'data-state="([^"]+)"')
CODE_FIELD = 'name="code"'
USE_PASSKEY = "Use your passkey"
NEW_DEVICE = "Your passkey was used on a new device"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(autouse=True)
def relying_party(settings):
    # The test client's pages are at http://testserver; a real browser's would be the portal's https origin.
    settings.OTP_WEBAUTHN_RP_ID = "testserver"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]
    settings.ALLOWED_HOSTS = ["testserver"]
    # Commit callbacks run here (the notices): the in-process audit sealer would start a thread that
    # outlives the test and reaches for the database in the next one.
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False


@pytest.fixture
def key():
    return SoftAuthenticator(origin=ORIGIN, rp_id="testserver")


def give_passkey(member, key, *, code_device=None):
    """`member` signs in (with a code when they have an app), adds a passkey with `key`, signs out."""
    client = Client()
    sign_in(client, member.username, MEMBER_PASSWORD)
    if code_device is not None:
        assert client.post("/accounts/login/code/", {"code": totp_code(code_device)}).status_code == 302
    assert add_passkey(client, key).status_code == 200
    client.post("/accounts/logout/")
    mail.outbox.clear()
    return WebAuthnCredential.objects.get(user=member)


# The reset tool, with a passkey as the second factor ---------------------------------------------


def reach_code_step(client, username="alice"):
    step = answer(client, state_of(start(client, username)), RIGHT_ANSWERS)
    assert step["Location"] == CODE_STEP
    return client.get(CODE_STEP)


def reset_token(page):
    return DATA_STATE.search(page.content.decode()).group(1)


def reset_with_passkey(client, key, token, **get_kwargs):
    options = post_json(client, RESET_OPTIONS, {"state": token})
    assert options.status_code == 200, options.content
    assertion = key.get(options.json()["options"], **get_kwargs)
    return post_json(client, RESET_PASSKEY, {"state": token, "credential": assertion})


def strikes_of(username="alice"):
    row = ResetStrikes.objects.filter(username=account_key(username)).first()
    return (row.failures, row.total_failures) if row else (0, 0)


def test_a_passkey_alone_is_the_resets_second_factor_and_the_reset_unfreezes(client, member, key):
    give_passkey(member, key)
    freeze_account(member=member, reason="test", actor="tester")
    page = reach_code_step(client)
    text = page.content.decode()
    assert page.status_code == 200 and USE_PASSKEY in text and CODE_FIELD not in text  # no app: no code to type

    options = post_json(client, RESET_OPTIONS, {"state": reset_token(page)}).json()["options"]
    assert [c["id"] for c in options["allowCredentials"]]  # only alice's passkeys are asked for
    done = post_json(client, RESET_PASSKEY, {"state": reset_token(page), "credential": key.get(options)})
    assert done.status_code == 200 and done.json() == {"redirect": NEW_PASSWORD_STEP}

    password_page = client.get(NEW_PASSWORD_STEP)
    assert password_page.status_code == 200
    assert set_password(client, state_of(password_page))["Location"] == "/accounts/password-reset/done/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD) and not is_frozen("alice")
    kinds = event_kinds(member=member)
    assert Kind.RESET_CODE_PASSED in kinds and Kind.PASSKEY_USED in kinds and Kind.PASSWORD_RESET in kinds
    # The new password signs in, and still asks for the second factor.
    assert sign_in(Client(), "alice", NEW_PASSWORD)["Location"] == "/accounts/login/code/"


def test_another_sites_assertion_in_the_reset_takes_no_strike_and_is_audited(client, member, key):
    give_passkey(member, key)
    token = reset_token(reach_code_step(client))
    before = strikes_of()
    refused = reset_with_passkey(client, key, token, origin="https://members-portal.example")
    assert refused.status_code == 403 and "not accepted" in refused.json()["error"]
    assert strikes_of() == before
    assert Kind.PASSKEY_FAILED in event_kinds(member=member)
    assert Kind.RESET_CODE_FAILED not in event_kinds() and Kind.SECOND_FACTOR_FAILED not in event_kinds()
    assert not is_frozen("alice")
    # The member can try again on the same step, with a fresh challenge.
    assert reset_with_passkey(client, key, token).json() == {"redirect": NEW_PASSWORD_STEP}
    assert strikes_of() == before


def test_skipping_the_passkey_step_ends_the_reset(client, member, key):
    give_passkey(member, key)
    token = reset_token(reach_code_step(client))
    assert client.get(NEW_PASSWORD_STEP).status_code == 400  # the answers alone do not reach the new password
    assert post_json(client, RESET_OPTIONS, {"state": token}).status_code == 400  # and the reset is over
    member.refresh_from_db()
    assert member.check_password(MEMBER_PASSWORD)


def test_a_reset_assertion_answers_once(client, member, key):
    give_passkey(member, key)
    token = reset_token(reach_code_step(client))
    options = post_json(client, RESET_OPTIONS, {"state": token}).json()["options"]
    assertion = key.get(options)
    assert post_json(client, RESET_PASSKEY, {"state": token, "credential": assertion}).status_code == 200
    # The step has moved on: the same answer again is refused, whatever token it comes with.
    replay = post_json(client, RESET_PASSKEY, {"state": token, "credential": assertion})
    assert replay.status_code == 400 and "error" in replay.json()


@pytest.mark.parametrize("url", [RESET_OPTIONS, RESET_PASSKEY])
def test_a_wrong_reset_token_gets_a_400_with_an_error(client, member, key, url):
    give_passkey(member, key)
    page = reach_code_step(client)
    options = post_json(client, RESET_OPTIONS, {"state": reset_token(page)}).json()["options"]
    credential = key.get(options)
    for token in ["", "not a token", signing.dumps({"u": "alice", "s": "second_factor", "n": "x"}, salt="other")]:
        response = post_json(client, url, {"state": token, "credential": credential})
        assert response.status_code == 400 and "expired" in response.json()["error"]
    assert client.get(NEW_PASSWORD_STEP).status_code == 400


def test_a_reset_token_from_another_step_or_session_is_refused(client, member, key):
    give_passkey(member, key)
    answers_token = state_of(start(client, "alice"))
    assert post_json(client, RESET_OPTIONS, {"state": answers_token}).status_code == 400  # the answers step's
    token = reset_token(reach_code_step(client))
    other = Client()
    response = post_json(other, RESET_OPTIONS, {"state": token})  # the token, in another browser
    assert response.status_code == 400 and "expired" in response.json()["error"]


def test_an_expired_reset_token_is_refused(client, member, key, settings, monkeypatch):
    give_passkey(member, key)
    token = reset_token(reach_code_step(client))
    assert post_json(client, RESET_OPTIONS, {"state": token}).status_code == 200  # live until it expires
    later = time.time() + settings.PORTAL_RESET_STEP_SECONDS + 5
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    response = post_json(client, RESET_OPTIONS, {"state": token})
    assert response.status_code == 400 and "expired" in response.json()["error"]


@pytest.mark.parametrize("lock", [{"held": True}, {"locked_until": "soon"}])
def test_the_passkey_step_is_refused_while_the_reset_is_locked(client, member, key, lock):
    give_passkey(member, key)
    token = reset_token(reach_code_step(client))
    options = post_json(client, RESET_OPTIONS, {"state": token}).json()["options"]
    if "locked_until" in lock:
        lock = {"locked_until": timezone.now() + timedelta(minutes=10)}
    ResetStrikes.objects.update_or_create(username=account_key("alice"), defaults=lock)
    refused = post_json(client, RESET_PASSKEY, {"state": token, "credential": key.get(options)})
    assert refused.status_code == 403 and "locked" in refused.json()["error"]
    assert client.get(NEW_PASSWORD_STEP).status_code == 400
    assert Kind.PASSKEY_USED not in event_kinds(member=member)


def test_staff_cannot_use_the_reset_tools_passkey_step(client, make_member, key, enroll_totp):
    staff = make_member("sam", is_staff=True)
    give_passkey(staff, key, code_device=enroll_totp(staff))
    questions = start(client, "sam")
    answer(client, state_of(questions), RIGHT_ANSWERS)  # staff never pass the answers step
    assert client.get(CODE_STEP).status_code == 400
    assert post_json(client, RESET_OPTIONS, {"state": state_of(questions)}).status_code == 400


# An app and a passkey ------------------------------------------------------------------------------


def test_with_an_app_and_a_passkey_the_sign_in_code_step_offers_both(client, member, key, enroll_totp):
    device = enroll_totp(member)
    give_passkey(member, key, code_device=device)
    assert sign_in(client, "alice", MEMBER_PASSWORD)["Location"] == "/accounts/login/code/"
    page = client.get("/accounts/login/code/").content.decode()
    assert USE_PASSKEY in page and CODE_FIELD in page
    assert client.post("/accounts/login/code/", {"code": totp_code(device, time.time() + 30)}).status_code == 302
    assert client.get("/").status_code == 200


def test_with_an_app_and_a_passkey_the_reset_code_step_offers_both(client, member, key, enroll_totp):
    device = enroll_totp(member)
    give_passkey(member, key, code_device=device)
    page = reach_code_step(client)
    text = page.content.decode()
    assert USE_PASSKEY in text and CODE_FIELD in text
    response = client.post(CODE_STEP, {"state": state_of(page), "code": totp_code(device, time.time() + 30)})
    assert response["Location"] == NEW_PASSWORD_STEP


def test_with_an_app_and_a_passkey_the_reset_takes_the_passkey_too(client, member, key, enroll_totp):
    give_passkey(member, key, code_device=enroll_totp(member))
    token = reset_token(reach_code_step(client))
    assert reset_with_passkey(client, key, token).json() == {"redirect": NEW_PASSWORD_STEP}


# Staff, when the support site requires a passkey ---------------------------------------------------


@pytest.fixture
def make_staff(make_member, enroll_totp):
    def make(username="sam"):
        staff = make_member(username, is_staff=True, is_superuser=True)
        staff.totp = enroll_totp(staff)
        return staff

    return make


def signed_in_with_code(staff, at=None):
    client = Client()
    assert sign_in(client, staff.username, MEMBER_PASSWORD)["Location"] == "/accounts/login/code/"
    assert client.post("/accounts/login/code/", {"code": totp_code(staff.totp, at)}).status_code == 302
    return client


def without_setup_middleware(settings):
    """The support site's own check, without the set-up step that sends staff to the passkeys page first."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "accounts.middleware.AccountSetupMiddleware"]


@pytest.fixture
def passkey_required(settings):
    settings.PORTAL_STAFF_REQUIRE_PASSKEY = True


def test_staff_signed_in_with_a_code_are_sent_to_add_a_passkey(make_staff, key, passkey_required):
    staff = make_staff()
    client = signed_in_with_code(staff)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [("/accounts/security/passkeys/", 302)]
    page = response.content.decode()
    assert "The support site needs a session signed in with a passkey." in page and "Add a passkey to go on." in page
    for path in ["/admin/accounts/user/", "/admin/security-overview/", "/claims/", "/accounts/security/"]:
        assert client.get(path)["Location"] == "/accounts/security/passkeys/", path
    assert add_passkey(client, key).json() == {"redirect": "/accounts/security/passkeys/"}
    # The passkey just proved itself: this session is passkey-verified.
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_support_site_itself_refuses_a_session_without_a_passkey(make_staff, key, settings, passkey_required):
    without_setup_middleware(settings)
    staff = make_staff()
    client = signed_in_with_code(staff)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0] == ("/admin/login/?next=/admin/", 302) and response.status_code == 403
    assert client.get("/admin/accounts/user/").status_code == 302
    assert add_passkey(client, key).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_the_support_site_takes_a_code_when_no_passkey_is_required(make_staff, key, settings):
    staff = make_staff()
    give_passkey(staff, key, code_device=staff.totp)
    client = signed_in_with_code(staff, time.time() + 30)
    assert client.get("/admin/").status_code == 200
    without_setup_middleware(settings)
    assert client.get("/admin/").status_code == 200


def test_staff_using_a_passkey_as_second_factor_reach_the_support_site(make_staff, key, passkey_required):
    staff = make_staff()
    give_passkey(staff, key, code_device=staff.totp)
    client = Client()
    assert sign_in(client, "sam", MEMBER_PASSWORD, next="/admin/")["Location"].startswith("/accounts/login/code/")
    options = post_json(client, "/accounts/login/code/passkey/options/", {}).json()["options"]
    done = post_json(client, "/accounts/login/code/passkey/", {"credential": key.get(options)})
    assert done.status_code == 200
    assert client.get("/admin/").status_code == 200


def test_staff_signing_in_with_only_a_passkey_reach_the_support_site(make_staff, key, passkey_required):
    staff = make_staff()
    give_passkey(staff, key, code_device=staff.totp)
    client = Client()
    assert sign_in_with_passkey(client, key).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_when_required_staff_with_a_passkey_are_not_offered_a_code(make_staff, key, passkey_required):
    staff = make_staff()
    give_passkey(staff, key, code_device=staff.totp)
    signed_in_before = len(event_kinds(member=staff, kind=Kind.SIGN_IN_SUCCEEDED))
    client = Client()
    assert sign_in(client, "sam", MEMBER_PASSWORD)["Location"] == "/accounts/login/code/"
    page = client.get("/accounts/login/code/").content.decode()
    assert USE_PASSKEY in page and CODE_FIELD not in page
    refused = client.post("/accounts/login/code/", {"code": totp_code(staff.totp, time.time() + 30)})
    assert refused.status_code == 400 and CODE_FIELD not in refused.content.decode()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # not signed in
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert len(event_kinds(member=staff, kind=Kind.SIGN_IN_SUCCEEDED)) == signed_in_before
    # The passkey still finishes the same sign-in.
    options = post_json(client, "/accounts/login/code/passkey/options/", {}).json()["options"]
    assert post_json(client, "/accounts/login/code/passkey/", {"credential": key.get(options)}).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_code_session_from_before_the_rule_steps_up_with_the_passkey(make_staff, key, settings):
    staff = make_staff()
    give_passkey(staff, key, code_device=staff.totp)
    client = signed_in_with_code(staff, time.time() + 30)  # while passkeys were not required
    settings.PORTAL_STAFF_REQUIRE_PASSKEY = True
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [("/accounts/security/passkeys/", 302)]
    assert "Use your passkey now to go on." in response.content.decode()
    options = post_json(client, "/accounts/security/passkeys/verify/options/", {}).json()["options"]
    # Another site's assertion does not step the session up.
    refused = post_json(
        client, "/accounts/security/passkeys/verify/", {"credential": key.get(options, origin="https://evil.example")}
    )
    assert refused.status_code == 403 and client.get("/admin/").status_code == 302
    options = post_json(client, "/accounts/security/passkeys/verify/options/", {}).json()["options"]
    done = post_json(client, "/accounts/security/passkeys/verify/", {"credential": key.get(options)})
    assert done.json() == {"redirect": "/admin/"}
    assert client.get("/admin/").status_code == 200


def test_members_are_not_asked_for_a_passkey_by_the_staff_rule(client, member, key, passkey_required):
    give_passkey(member, key)
    assert sign_in(client, "alice", MEMBER_PASSWORD)["Location"] == "/accounts/login/code/"
    options = post_json(client, "/accounts/login/code/passkey/options/", {}).json()["options"]
    assert post_json(client, "/accounts/login/code/passkey/", {"credential": key.get(options)}).status_code == 200
    assert client.get("/claims/").status_code == 200


# Staff removing a member's two-factor sign-in ------------------------------------------------------


def test_the_operator_command_removes_the_members_passkeys_too(
    member, key, enroll_totp, django_capture_on_commit_callbacks
):
    device = enroll_totp(member)
    give_passkey(member, key, code_device=device)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reset_two_factor", "alice", "--reason", "lost phone, identity checked by call", stdout=out)
    assert "Removed two-factor sign-in from alice." in out.getvalue()
    assert not WebAuthnCredential.objects.filter(user=member).exists()
    assert not device.__class__.objects.filter(user=member).exists()
    removed = SecurityEvent.objects.get(member=member, kind=Kind.TWO_FACTOR_REMOVED)
    assert removed.actor.startswith("operator:")
    assert removed.reason == "lost phone, identity checked by call; passkeys removed too"
    assert [m.subject for m in mail.outbox] == ["Two-factor sign-in was removed"]
    # The passkey no longer opens the account, and the password alone signs in now.
    refused = sign_in_with_passkey(Client(), key)
    assert refused.status_code == 403 and "not registered" in refused.json()["error"]
    assert sign_in(Client(), "alice", MEMBER_PASSWORD)["Location"] == "/"


def test_the_operator_command_removes_a_passkey_that_is_the_only_second_factor(member, key):
    give_passkey(member, key)
    out = StringIO()
    call_command("reset_two_factor", "alice", "--reason", "identity checked by call", stdout=out)
    assert "Removed two-factor sign-in from alice." in out.getvalue()
    assert not WebAuthnCredential.objects.filter(user=member).exists()
    assert SecurityEvent.objects.get(member=member, kind=Kind.TWO_FACTOR_REMOVED).reason.endswith(
        "; passkeys removed too"
    )


def test_a_member_turning_off_the_app_keeps_their_passkeys(client, member, key, enroll_totp):
    device = enroll_totp(member)
    give_passkey(member, key, code_device=device)
    client.post("/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD})
    client.post("/accounts/login/code/", {"code": totp_code(device, time.time() + 30)})
    removed = client.post(
        "/accounts/security/two-factor/remove/",
        {"current_password": MEMBER_PASSWORD, "code": totp_code(device, time.time() + 60)},
    )
    assert removed.status_code == 302
    assert not device.__class__.objects.filter(user=member).exists()
    assert WebAuthnCredential.objects.filter(user=member).exists()
    assert "passkeys" not in SecurityEvent.objects.get(member=member, kind=Kind.TWO_FACTOR_REMOVED).reason


# A passkey used from a new device -----------------------------------------------------------------


def passkey_sign_in_from(user_agent, key):
    client = Client(HTTP_USER_AGENT=user_agent)
    response = sign_in_with_passkey(client, key)
    assert response.status_code == 200, response.content
    return client


def subjects():
    return [m.subject for m in mail.outbox]


@pytest.fixture
def laptop_passkey(member, key, settings, enroll_totp):
    """alice, with an app, adds a passkey named "Laptop" from Firefox on Linux (and stays signed in there)."""
    settings.PORTAL_NOTICE_REPEAT_SECONDS = 0  # every notice is sent: none is held back as a repeat
    member.totp = enroll_totp(member)
    added_from = Client(HTTP_USER_AGENT=FIREFOX_LINUX)
    sign_in(added_from, "alice", MEMBER_PASSWORD)
    assert added_from.post("/accounts/login/code/", {"code": totp_code(member.totp)}).status_code == 302
    assert add_passkey(added_from, key, name="Laptop").status_code == 200
    mail.outbox.clear()
    return member


def test_a_passkey_used_from_a_browser_it_never_was_tells_the_member_once(
    laptop_passkey, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        passkey_sign_in_from(FIREFOX_LINUX, key)  # where it was added
    assert subjects() == []

    # The account knows this iPhone (signed in there with a code), but the passkey was never used on it.
    phone = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    sign_in(phone, "alice", MEMBER_PASSWORD)
    assert (
        phone.post("/accounts/login/code/", {"code": totp_code(laptop_passkey.totp, time.time() + 30)}).status_code
        == 302
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        passkey_sign_in_from(SAFARI_IPHONE, key)
    assert subjects() == [NEW_DEVICE]
    assert mail.outbox[0].to == ["alice@example.com"] and 'named "Laptop"' in mail.outbox[0].body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        passkey_sign_in_from(SAFARI_IPHONE, key)  # the same browser again
        passkey_sign_in_from(SAFARI_IPHONE.replace("17_5", "17_6").replace("17.5", "17.6"), key)  # updated
        passkey_sign_in_from(FIREFOX_LINUX, key)
    assert subjects() == []


def test_a_passkey_sign_in_from_a_browser_the_account_never_used_sends_one_email(
    laptop_passkey, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        passkey_sign_in_from(SAFARI_IPHONE, key)
    # One event, one email: the new-browser sign-in notice says it, not a second one about the passkey.
    assert subjects() == ["New sign-in to your account"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        passkey_sign_in_from(SAFARI_IPHONE, key)
    assert subjects() == []


def test_a_passkey_used_in_the_reset_from_a_new_browser_tells_the_member_once(
    laptop_passkey, key, django_capture_on_commit_callbacks
):
    told = []
    for _ in range(2):
        client = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
        token = reset_token(reach_code_step(client))
        with django_capture_on_commit_callbacks(execute=True):
            assert reset_with_passkey(client, key, token).json() == {"redirect": NEW_PASSWORD_STEP}
        told.append(subjects())
        mail.outbox.clear()
    assert told == [[NEW_DEVICE], []]


def test_a_refused_assertion_from_a_new_browser_tells_nothing(laptop_passkey, key, django_capture_on_commit_callbacks):
    client = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in_with_passkey(client, key, origin="https://evil.example").status_code == 403
    assert subjects() == []
