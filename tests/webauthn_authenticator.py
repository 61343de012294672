"""A WebAuthn authenticator in software (a virtual security key) for server-side tests.

It answers the options a server sends as a browser with a platform authenticator would, and returns
the JSON the browser would POST back, so a test can drive a registration and a sign-in through the
server's real verification (py_webauthn) without a browser or hardware.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ES256 = -7  # COSE algorithm: ECDSA with SHA-256 on P-256
_AAGUID = bytes(16)  # all zeros: what an authenticator giving "none" attestation reports
_UP, _UV, _AT = 0x01, 0x04, 0x40  # authenticatorData flags: user present, user verified, attested data


def b64url(data: bytes) -> str:
    """Base64url without padding, as WebAuthn's JSON encodes every binary field."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of a base64url string, padded or not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One credential (a discoverable one, a passkey) the authenticator holds for one relying party."""

    id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int


class SoftAuthenticator:
    """A platform authenticator in software, bound to one origin and RP id: ES256 keys, "none"
    attestation, discoverable credentials, a sign count per credential that grows on every assertion.
    It checks what a browser and authenticator would (the RP id, ES256 offered, no excluded
    credential held, an allowed one present) and raises ValueError or LookupError where they would
    refuse; `userVerification` in the options is not enforced, so `user_verified` alone decides the
    UV flag and a test can send the server an assertion a careless client would."""

    def __init__(self, *, origin: str, rp_id: str, user_verified: bool = True, sign_count_start: int = 0) -> None:
        """`origin` is written into clientDataJSON, `rp_id` is the only RP id it answers for,
        `user_verified` sets the UV flag (may be flipped between calls), `sign_count_start` is the
        count a new credential reports at registration."""
        self.origin = origin
        self.rp_id = rp_id
        self.user_verified = user_verified
        self.sign_count_start = sign_count_start
        self.credentials: list[Credential] = []

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """Answer PublicKeyCredentialCreationOptions given as the JSON dict a server sends (py_webauthn's
        options_to_json_dict output: challenge base64url, rp {id, name}, user {id base64url, name,
        displayName}, pubKeyCredParams, excludeCredentials maybe). Makes an ES256 (P-256) key and a
        32-byte random credential id, stores the credential, and returns the RegistrationResponseJSON
        dict a browser would POST: {"id", "rawId", "type": "public-key", "response": {"clientDataJSON",
        "attestationObject", "transports": ["internal"]}, "clientExtensionResults": {"credProps":
        {"rk": true}}, "authenticatorAttachment": "platform"}, attestation format "none", flags UP, AT,
        UV if `user_verified`, BE/BS off. Raises ValueError if the RP id is not its own, ES256 is not
        offered, or it already holds a credential in excludeCredentials."""
        rp_id = self._rp_id(options["rp"].get("id"))
        if not any(p.get("type") == "public-key" and p.get("alg") == ES256 for p in options["pubKeyCredParams"]):
            raise ValueError("pubKeyCredParams offer no ES256 (alg -7) key")
        excluded = {b64url_decode(c["id"]) for c in options.get("excludeCredentials") or []}
        if any(c.id in excluded for c in self.credentials if c.rp_id == rp_id):
            raise ValueError("a credential in excludeCredentials is already on this authenticator")

        credential = Credential(
            id=secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=b64url_decode(options["user"]["id"]),
            sign_count=self.sign_count_start,
        )
        numbers = credential.private_key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {1: 2, 3: ES256, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        attested_data = _AAGUID + len(credential.id).to_bytes(2, "big") + credential.id + cose_key
        auth_data = self._auth_data(rp_id, _UP | _AT, credential.sign_count) + attested_data
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials.append(credential)
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(self._client_data("webauthn.create", options["challenge"], self.origin)),
                "attestationObject": b64url(attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
            "authenticatorAttachment": "platform",
        }

    def get(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Answer PublicKeyCredentialRequestOptions given as the JSON dict a server sends (challenge,
        rpId, allowCredentials maybe empty). Picks the newest stored credential for the RP id that
        allowCredentials allows (any, when it is empty or absent: a discoverable sign-in), increments
        its sign count, signs authenticatorData || sha256(clientDataJSON) with it and returns the
        AuthenticationResponseJSON dict a browser would POST: {"id", "rawId", "type": "public-key",
        "response": {"clientDataJSON", "authenticatorData", "signature", "userHandle"},
        "clientExtensionResults": {}, "authenticatorAttachment": "platform"}. `origin` overrides the
        origin written into clientDataJSON (to test a phishing site's assertion). Raises ValueError if
        the RP id is not its own, LookupError if it holds no credential the options allow."""
        rp_id = self._rp_id(options.get("rpId"))
        allowed = {b64url_decode(c["id"]) for c in options.get("allowCredentials") or []}
        candidates = [c for c in self.credentials if c.rp_id == rp_id and (not allowed or c.id in allowed)]
        if not candidates:
            raise LookupError(f"no credential for {rp_id!r} that allowCredentials allows")
        credential = candidates[-1]
        credential.sign_count += 1

        auth_data = self._auth_data(rp_id, _UP, credential.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin or self.origin)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _rp_id(self, requested: str | None) -> str:
        """The RP id the options name (a browser defaults it to the origin's host: here, its own)."""
        if requested is not None and requested != self.rp_id:
            raise ValueError(f"RP id {requested!r} is not this authenticator's {self.rp_id!r}")
        return self.rp_id

    def _auth_data(self, rp_id: str, flags: int, sign_count: int) -> bytes:
        """rpIdHash || flags || signCount, with UV set while `user_verified` is."""
        flags |= _UV if self.user_verified else 0
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + sign_count.to_bytes(4, "big")

    @staticmethod
    def _client_data(ceremony: str, challenge: str, origin: str) -> bytes:
        """clientDataJSON as a browser serialises it: compact, members in the spec's order."""
        data = {"type": ceremony, "challenge": challenge, "origin": origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()
