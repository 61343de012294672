"""A virtual passkey authenticator in Chromium itself, through the DevTools protocol's WebAuthn domain.

The page's own script calls navigator.credentials.create() and .get(); Chromium answers them with
this authenticator as it would with a phone's or laptop's built-in one (a platform authenticator
holding discoverable credentials), and signs with the real origin of the page that asked.
"""

PLATFORM = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


class VirtualAuthenticator:
    """One virtual authenticator attached to a Playwright page (and the pages it navigates to)."""

    def __init__(self, page, **options):
        """`options` override PLATFORM's, e.g. isUserVerified=False for a device that cannot verify the person."""
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        answer = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {**PLATFORM, **options}})
        self.id = answer["authenticatorId"]

    def credentials(self):
        """What the authenticator holds: each credential's credentialId, isResidentCredential, rpId,
        userHandle, signCount and privateKey (base64)."""
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def add_credential(self, credential):
        """Put a credential another authenticator made into this one (a passkey synced to another device)."""
        fields = ("credentialId", "isResidentCredential", "rpId", "privateKey", "userHandle", "signCount")
        self.cdp.send(
            "WebAuthn.addCredential",
            {
                "authenticatorId": self.id,
                "credential": {name: credential[name] for name in fields if name in credential},
            },
        )

    def set_user_verified(self, verified):
        """Whether the next fingerprint, face or PIN check passes."""
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})

    def remove(self):
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})
        self.cdp.send("WebAuthn.disable")
        self.cdp.detach()
