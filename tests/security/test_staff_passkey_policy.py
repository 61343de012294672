"""The Security role's switch in the support site: passkeys for staff, audited, for every staff session."""

import pytest

from security.models import SecurityEvent, StaffSignInPolicy

Kind = SecurityEvent.Kind
POLICY = "/admin/security/staffsigninpolicy/1/change/"
PASSKEYS = "/accounts/security/passkeys/"


@pytest.fixture(autouse=True)
def the_policy_row(db):
    # A test that flushes the database removes the migration's row; the support site makes it again.
    StaffSignInPolicy.objects.get_or_create(pk=1)


def test_the_security_role_turns_it_on_and_the_change_is_audited(role_client):
    security = role_client("Security")
    assert security.get("/admin/security/staffsigninpolicy/")["Location"] == POLICY
    page = security.get(POLICY)
    assert page.status_code == 200 and "staff sign in with a passkey" in page.content.decode().lower()
    assert security.post(POLICY, {"require_passkey": "on"}).status_code == 302
    policy = StaffSignInPolicy.objects.get(pk=1)
    assert policy.require_passkey and policy.changed_by == security.staff.username
    event = SecurityEvent.objects.get(kind=Kind.STAFF_PASSKEY_POLICY_CHANGED)
    assert event.actor == security.staff.username and event.reason == "passkeys required of staff: on"
    # From now on this session, signed in with a code, is sent to use or add a passkey first.
    assert security.get("/admin/")["Location"] == PASSKEYS


def test_saving_it_unchanged_writes_no_event(role_client):
    security = role_client("Security")
    assert security.post(POLICY, {}).status_code == 302  # off, as it was
    assert not SecurityEvent.objects.filter(kind=Kind.STAFF_PASSKEY_POLICY_CHANGED).exists()


def test_the_support_role_may_not_change_it(role_client):
    support = role_client("Support")
    assert support.get(POLICY).status_code == 403
    assert support.post(POLICY, {"require_passkey": "on"}).status_code == 403
    assert not StaffSignInPolicy.objects.get(pk=1).require_passkey


def test_on_it_reaches_every_staff_session_and_no_member(role_client, client, member):
    from tests.conftest import MEMBER_PASSWORD
    from tests.helpers import sign_in

    support = role_client("Support")
    assert support.get("/admin/").status_code == 200
    StaffSignInPolicy.objects.filter(pk=1).update(require_passkey=True)
    assert support.get("/admin/")["Location"] == PASSKEYS
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert client.get("/").status_code == 200  # members are never asked


def test_the_environment_requires_it_whatever_the_switch_says(role_client, settings):
    settings.PORTAL_STAFF_REQUIRE_PASSKEY = True
    security = role_client("Security")
    assert security.get("/admin/")["Location"] == PASSKEYS
    assert not StaffSignInPolicy.objects.get(pk=1).require_passkey


def test_required_by_the_environment_the_page_says_so_and_offers_no_switch(role_client, settings, client):
    from security.models import StaffSignInPolicy as Policy

    security = role_client("Security")
    settings.PORTAL_STAFF_REQUIRE_PASSKEY = True
    # A passkey-verified session, as the support site then requires: shown what decides, with nothing to turn off.
    from django_otp_webauthn.models import WebAuthnCredential

    device = WebAuthnCredential.objects.create(
        user=security.staff, name="Key", credential_id=b"k", public_key=b"p", confirmed=True
    )
    session = security.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    page = security.get(POLICY).content.decode()
    assert "required by the portal&#x27;s configuration" in page and 'name="require_passkey"' not in page
    security.post(POLICY, {"require_passkey": ""})
    assert (
        not Policy.objects.get(pk=1).require_passkey
        and not SecurityEvent.objects.filter(kind=Kind.STAFF_PASSKEY_POLICY_CHANGED).exists()
    )
