"""Passkeys over the portal's own JSON steps, with a software authenticator (tests/webauthn_authenticator.py)
and the server's real verification: register, sign in with and without the password, remove, and
the refusals an attacker would see (another site's assertion, no user verification, a replay, a
frozen account)."""

import json

import pytest
from django.core import mail
from django_otp_webauthn.models import WebAuthnCredential

from security.lockout import freeze_account
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in
from tests.webauthn_authenticator import SoftAuthenticator

Kind = SecurityEvent.Kind
ORIGIN = "http://testserver"


@pytest.fixture(autouse=True)
def relying_party(settings):
    # The test client's pages are at http://testserver; a real browser's would be the portal's https origin.
    settings.OTP_WEBAUTHN_RP_ID = "testserver"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.fixture
def key():
    return SoftAuthenticator(origin=ORIGIN, rp_id="testserver")


def post_json(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def add_passkey(client, key, name="My phone"):
    """Password again (the tests' recent-authentication window is 0), then the passkey."""
    assert client.post("/accounts/security/passkeys/", {"current_password": MEMBER_PASSWORD}).status_code == 302
    options = post_json(client, "/accounts/security/passkeys/add/options/", {})
    assert options.status_code == 200, options.content
    credential = key.create(options.json()["options"])
    return post_json(client, "/accounts/security/passkeys/add/", {"name": name, "credential": credential})


@pytest.fixture
def with_passkey(client, member, key):
    """alice, signed in, adds a passkey, and signs out again."""
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert add_passkey(client, key).status_code == 200
    client.post("/accounts/logout/")
    mail.outbox.clear()
    return member


def sign_in_with_passkey(client, key, **get_kwargs):
    options = post_json(client, "/accounts/login/passkey/options/", {})
    assert options.status_code == 200
    assertion = key.get(options.json()["options"], **get_kwargs)
    return post_json(client, "/accounts/login/passkey/", {"credential": assertion, "next": "/claims/"})


def test_a_member_adds_a_passkey_named_audited_and_told(client, member, key, django_capture_on_commit_callbacks):
    sign_in(client, "alice", MEMBER_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_passkey(client, key, name="  Work   laptop ")
    assert response.json() == {"redirect": "/accounts/security/passkeys/"}
    device = WebAuthnCredential.objects.get(user=member)
    assert device.name == "Work laptop" and device.confirmed
    assert Kind.PASSKEY_ADDED in event_kinds(member=member)
    assert [m.subject for m in mail.outbox] == ["A passkey was added to your account"]
    assert "Work laptop" in mail.outbox[0].body
    page = client.get("/accounts/security/passkeys/").content.decode()
    assert 'value="Work laptop"' in page and "Not used yet" in page


def test_adding_a_passkey_asks_the_password_again_outside_the_recent_window(client, member, key):
    sign_in(client, "alice", MEMBER_PASSWORD)  # PORTAL_RECENT_AUTH_SECONDS is 0 in the tests
    refused = post_json(client, "/accounts/security/passkeys/add/options/", {})
    assert refused.status_code == 403 and "password" in refused.json()["error"]
    page = client.get("/accounts/security/passkeys/").content.decode()
    assert 'name="current_password"' in page
    assert client.post("/accounts/security/passkeys/", {"current_password": "wrong"}).status_code == 400
    assert add_passkey(client, key).status_code == 200


def test_sign_in_without_a_password(client, with_passkey, key):
    response = sign_in_with_passkey(client, key)
    assert response.status_code == 200 and response.json() == {"redirect": "/claims/"}
    assert client.get("/").status_code == 200
    kinds = event_kinds(member=with_passkey)
    assert Kind.SIGN_IN_SUCCEEDED in kinds and Kind.PASSKEY_USED in kinds
    assert WebAuthnCredential.objects.get().last_used_at is not None


def test_an_assertion_made_for_another_site_is_refused_and_audited(client, with_passkey, key):
    response = sign_in_with_passkey(client, key, origin="https://members-portal.example")
    assert response.status_code == 403 and "not accepted" in response.json()["error"]
    assert client.get("/").status_code == 302  # not signed in
    assert Kind.PASSKEY_FAILED in event_kinds(member=None) + event_kinds(member=with_passkey)
    assert Kind.SIGN_IN_FAILED not in event_kinds(member=with_passkey)  # not a guess: the freeze ignores it


def test_an_assertion_without_user_verification_is_refused(client, with_passkey, key):
    key.user_verified = False
    response = sign_in_with_passkey(client, key)
    assert response.status_code == 403
    assert client.get("/").status_code == 302


def test_a_challenge_answers_once(client, with_passkey, key):
    options = post_json(client, "/accounts/login/passkey/options/", {}).json()["options"]
    assertion = key.get(options)
    first = post_json(client, "/accounts/login/passkey/", {"credential": assertion})
    assert first.status_code == 200
    client.post("/accounts/logout/")
    replay = post_json(client, "/accounts/login/passkey/", {"credential": assertion})
    assert replay.status_code == 403


def test_a_frozen_account_cannot_sign_in_with_its_passkey(client, with_passkey, key):
    freeze_account(member=with_passkey, reason="test", actor="tester")
    response = sign_in_with_passkey(client, key)
    assert response.status_code == 403 and "frozen" in response.json()["error"]
    assert client.get("/").status_code == 302
    assert Kind.SIGN_IN_REFUSED_FROZEN in event_kinds(member=with_passkey)


def test_a_passkey_as_the_second_factor_after_the_password(client, with_passkey, key):
    response = client.post("/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    page = client.get("/accounts/login/code/").content.decode()
    assert "Use your passkey" in page and 'name="code"' not in page  # no app: no code to type
    assert client.get("/").status_code == 302  # the password alone signs nobody in
    options = post_json(client, "/accounts/login/code/passkey/options/", {}).json()["options"]
    assert [c["id"] for c in options["allowCredentials"]]  # only alice's passkeys are asked for
    done = post_json(client, "/accounts/login/code/passkey/", {"credential": key.get(options)})
    assert done.status_code == 200
    assert client.get("/").status_code == 200


def test_removing_a_passkey_asks_the_password_and_tells_the_member(
    client, with_passkey, key, django_capture_on_commit_callbacks
):
    sign_in_with_passkey(client, key)
    device = WebAuthnCredential.objects.get()
    url = f"/accounts/security/passkeys/{device.pk}/remove/"
    assert client.post(url, {"current_password": "not it"}).status_code == 200
    assert WebAuthnCredential.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(url, {"current_password": MEMBER_PASSWORD})
    assert removed["Location"] == "/accounts/security/passkeys/"
    assert not WebAuthnCredential.objects.exists()
    assert Kind.PASSKEY_REMOVED in event_kinds(member=with_passkey)
    assert "A passkey was removed from your account" in [m.subject for m in mail.outbox]


def test_another_members_passkey_cannot_be_removed(client, with_passkey, key, make_member):
    device = WebAuthnCredential.objects.get()
    make_member("bob")
    sign_in(client, "bob", MEMBER_PASSWORD)
    assert client.get(f"/accounts/security/passkeys/{device.pk}/remove/").status_code == 404
    assert (
        client.post(
            f"/accounts/security/passkeys/{device.pk}/remove/", {"current_password": MEMBER_PASSWORD}
        ).status_code
        == 404
    )
    assert WebAuthnCredential.objects.exists()


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("", "application/json"),
        ("{", "application/json"),
        ('["a list"]', "application/json"),
        ('{"credential": "text"}', "application/json"),
        (b'{"credential": {"id": "\xff"}}', "application/json"),
        ("credential=1", "application/x-www-form-urlencoded"),
        ('{"credential": {"id": "x", "rawId": "x", "type": "public-key", "response": {}}}', "application/json"),
    ],
)
def test_odd_input_gets_a_clear_4xx(client, with_passkey, body, content_type):
    post_json(client, "/accounts/login/passkey/options/", {})
    response = client.post("/accounts/login/passkey/", body, content_type=content_type)
    assert 400 <= response.status_code < 500 and "error" in response.json()
    assert client.get("/").status_code == 302


def test_a_sign_in_answer_sent_again_with_its_cookie_is_refused(client, with_passkey, key):
    options = post_json(client, "/accounts/login/passkey/options/", {})
    cookie = options.cookies["portal_passkey_sign_in"].value
    assertion = key.get(options.json()["options"])
    assert post_json(client, "/accounts/login/passkey/", {"credential": assertion}).status_code == 200
    client.post("/accounts/logout/")
    client.cookies["portal_passkey_sign_in"] = cookie  # kept by whoever copied it
    # Many passkeys (synced ones) keep no signature counter: only the spent challenge stops the replay.
    WebAuthnCredential.objects.update(sign_count=0)
    replay = post_json(client, "/accounts/login/passkey/", {"credential": assertion})
    assert replay.status_code == 403
    assert client.get("/").status_code == 302
    kinds = event_kinds(member=with_passkey)
    assert kinds.count(Kind.PASSKEY_USED) == 1 and Kind.PASSKEY_FAILED in kinds


def test_asking_for_sign_in_options_costs_no_session_row(client, with_passkey):
    from django.contrib.sessions.models import Session

    from security.session_store import SessionStore

    model = SessionStore.get_model_class() if hasattr(SessionStore, "get_model_class") else Session
    before = model.objects.count()
    for _ in range(20):
        assert post_json(client, "/accounts/login/passkey/options/", {}).status_code == 200
    assert model.objects.count() == before
