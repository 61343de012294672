"""The software authenticator's answers pass py_webauthn's verification, and what it must refuse, it refuses."""

import pytest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import options_to_json_dict
from webauthn.helpers.exceptions import InvalidAuthenticationResponse
from webauthn.helpers.structs import (
    AttestationFormat,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
)

from tests.webauthn_authenticator import SoftAuthenticator, b64url, b64url_decode

RP_ID = "portal.example"
ORIGIN = "https://portal.example"
USER_ID = b"member-42-handle"


def register(authenticator: SoftAuthenticator):
    options = generate_registration_options(rp_id=RP_ID, rp_name="Member portal", user_name="ada", user_id=USER_ID)
    response = authenticator.create(options_to_json_dict(options))
    return response, verify_registration_response(
        credential=response, expected_challenge=options.challenge, expected_rp_id=RP_ID, expected_origin=ORIGIN
    )


def authenticate(authenticator, registration, sign_count, *, allow=True, origin=None, require_uv=False, tamper=None):
    """One sign-in: options from the server, the authenticator's assertion (edited by `tamper`), the verification."""
    allowed = [PublicKeyCredentialDescriptor(id=registration.credential_id)] if allow else []
    options = generate_authentication_options(rp_id=RP_ID, allow_credentials=allowed)
    response = authenticator.get(options_to_json_dict(options), origin=origin)
    if tamper:
        tamper(response)
    verified = verify_authentication_response(
        credential=response,
        expected_challenge=options.challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=registration.credential_public_key,
        credential_current_sign_count=sign_count,
        require_user_verification=require_uv,
    )
    return response, verified


def test_registration_verifies():
    authenticator = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    response, registration = register(authenticator)

    assert registration.fmt == AttestationFormat.NONE
    assert registration.credential_id == b64url_decode(response["id"])
    assert registration.user_verified is True
    assert registration.sign_count == 0
    assert registration.credential_device_type == CredentialDeviceType.SINGLE_DEVICE
    assert registration.credential_backed_up is False
    assert response["response"]["transports"] == ["internal"]
    assert response["clientExtensionResults"] == {"credProps": {"rk": True}}
    [held] = authenticator.credentials
    assert (held.id, held.rp_id, held.user_handle) == (registration.credential_id, RP_ID, USER_ID)


@pytest.mark.parametrize("start", [0, 41])
def test_authentication_verifies_and_the_sign_count_grows(start):
    authenticator = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID, sign_count_start=start)
    _, registration = register(authenticator)
    assert registration.sign_count == start

    # Once naming the credential, once discoverable (empty allowCredentials): both verify, the count climbs.
    response, first = authenticate(authenticator, registration, registration.sign_count, require_uv=True)
    _, second = authenticate(authenticator, registration, first.new_sign_count, allow=False, require_uv=True)

    assert first.credential_id == second.credential_id == registration.credential_id
    assert (first.new_sign_count, second.new_sign_count) == (start + 1, start + 2)
    assert first.user_verified is True
    assert b64url_decode(response["response"]["userHandle"]) == USER_ID


def test_an_assertion_made_for_another_origin_is_refused():
    authenticator = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    _, registration = register(authenticator)

    with pytest.raises(InvalidAuthenticationResponse, match="Unexpected client data origin"):
        authenticate(authenticator, registration, 0, origin="https://portal-example.phish")


def test_an_assertion_without_user_verification_is_refused_when_it_is_required():
    authenticator = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    _, registration = register(authenticator)
    authenticator.user_verified = False

    with pytest.raises(InvalidAuthenticationResponse, match="User verification is required"):
        authenticate(authenticator, registration, 0, require_uv=True)
    # The same kind of assertion is good when UV is not asked for: it was refused for UV alone.
    _, verified = authenticate(authenticator, registration, 1)
    assert verified.user_verified is False


def test_a_second_authentication_with_a_tampered_signature_is_refused():
    authenticator = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    _, registration = register(authenticator)
    _, first = authenticate(authenticator, registration, 0)

    def flip_last_signature_byte(response):
        # The DER signature stays well-formed; only the value of its s changes.
        signature = bytearray(b64url_decode(response["response"]["signature"]))
        signature[-1] ^= 0x01
        response["response"]["signature"] = b64url(bytes(signature))

    with pytest.raises(InvalidAuthenticationResponse, match="Could not verify authentication signature"):
        authenticate(authenticator, registration, first.new_sign_count, tamper=flip_last_signature_byte)
