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


# Every authenticator not removed yet, so a step can reach the ones of its browser context.
ATTACHED = []


class VirtualAuthenticator:
    """One virtual authenticator attached to a Playwright page (and the pages it navigates to)."""

    def __init__(self, page, **options):
        """`options` override PLATFORM's, e.g. isUserVerified=False for a device that cannot verify the person."""
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        answer = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {**PLATFORM, **options}})
        self.id = answer["authenticatorId"]
        ATTACHED.append(self)

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

    def set_presence(self, automatic):
        """Whether the authenticator answers by itself as if touched. Off, a pending request waits:
        the username field's passkey autofill, which a member answers by picking a passkey, and
        which this authenticator would otherwise answer on its own while a test types a password."""
        self.cdp.send("WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": self.id, "enabled": automatic})

    def set_user_verified(self, verified):
        """Whether the next fingerprint, face or PIN check passes."""
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})

    def remove(self):
        ATTACHED.remove(self)
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})
        self.cdp.send("WebAuthn.disable")
        self.cdp.detach()


def presence_off_while(page, step):
    """Run `step` with this context's authenticators waiting for a touch (see set_presence), then back on."""
    devices = [device for device in ATTACHED if device.page.context is page.context]
    for device in devices:
        device.set_presence(False)
    try:
        return step()
    finally:
        for device in devices:
            device.set_presence(True)
