"""Passkeys in a real Chromium, with its own WebAuthn stack and a virtual platform authenticator
(tests/browser/virtual_authenticator.py): added from the member's list, used as the second factor,
used without a password, removed, used by the reset tool on a frozen account, refused without user
verification, and refused when a look-alike site relays what the browser signed for it."""

import json
import socket

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from security.lockout import is_frozen
from security.models import SecurityEvent
from security.questions import QUESTIONS
from tests.browser import conftest
from tests.browser.conftest import VIEWPORT
from tests.browser.test_accessibility import Axe
from tests.browser.virtual_authenticator import VirtualAuthenticator, presence_off_while
from tests.conftest import MEMBER_ANSWERS, MEMBER_PASSWORD
from tests.webauthn_authenticator import b64url_decode as base64url

pytestmark = pytest.mark.browser

Kind = SecurityEvent.Kind
NEW_PASSWORD = "a river of quiet lanterns"
NOT_REGISTERED = "This passkey is not registered with the Member Portal"
NOT_ACCEPTED = "That passkey was not accepted. Try again, or use another way to sign in."


@pytest.fixture(autouse=True)
def relying_party(settings, live_server):
    # The live server is in this process: the passkey checks see these settings. Its pages are at
    # http://localhost:PORT, a secure context for WebAuthn, whose RP id is "localhost".
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]


@pytest.fixture
def authenticator(page):
    device = VirtualAuthenticator(page)
    yield device
    device.remove()


# A look-alike site's page: it hands the portal's options to the browser and keeps what comes back.
RELAY_PAGE = "<!doctype html><html lang=en><title>Member Portal</title><h1>Sign in</h1></html>"
RELAY_SIGN = """options => {
  const bytes = text => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), c => c.charCodeAt(0));
  const text = buffer => buffer && btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const publicKey = {...options, challenge: bytes(options.challenge),
    allowCredentials: (options.allowCredentials || []).map(c => ({...c, id: bytes(c.id)}))};
  return navigator.credentials.get({publicKey}).then(credential => ({
    id: credential.id, rawId: text(credential.rawId), type: credential.type,
    response: {
      clientDataJSON: text(credential.response.clientDataJSON),
      authenticatorData: text(credential.response.authenticatorData),
      signature: text(credential.response.signature),
      userHandle: text(credential.response.userHandle),
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment,
  }));
}"""


def sign_in(page, username, password=MEMBER_PASSWORD):
    """The password form. Typing in the username field starts the browser's passkey autofill, which a
    member answers by picking a passkey; the virtual authenticator would answer it by itself and sign
    in with the passkey, so it waits for a touch meanwhile."""
    presence_off_while(page, lambda: conftest.sign_in(page, username, password))


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def status_of(page):
    """The passkey block's live region: what the page's script says when a passkey step fails."""
    return page.locator("[data-passkey-status]:visible")


def sign_out(page):
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def signed_in(page):
    """Whether the browser's cookies hold a signed-in session: the home page answers, or sends to sign in."""
    response = page.context.request.get("/", max_redirects=0)
    return response.status == 200


def open_passkeys(page):
    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("link", name="Manage passkeys").click()
    expect(page.get_by_role("heading", name="Passkeys", exact=True)).to_be_visible()


def add_passkey(page, name="Test key"):
    """From a signed-in page: Security settings › Manage passkeys, the password again, then the passkey."""
    open_passkeys(page)
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("A name, so you can tell it apart later").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text(f"Your passkey “{name}” is added.")).to_be_visible()


def test_a_member_adds_a_passkey_from_security_settings(page, authenticator, make_member):
    member = make_member("alice", first_name="Alice")
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()

    add_passkey(page)

    row = page.get_by_role("row").filter(has=page.get_by_role("textbox", name="New name for Test key"))
    expect(row).to_have_count(1)
    expect(row.get_by_role("textbox")).to_have_value("Test key")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Not used yet")
    held = authenticator.credentials()
    assert len(held) == 1 and held[0]["isResidentCredential"] and held[0]["rpId"] == "localhost"
    saved = WebAuthnCredential.objects.get(user=member)
    assert saved.name == "Test key" and saved.confirmed
    assert SecurityEvent.objects.filter(member=member, kind=Kind.PASSKEY_ADDED).count() == 1

    axe = Axe(page)
    axe.check("passkeys, one listed")
    axe.assert_none()


@pytest.fixture
def alice_with_passkey(page, authenticator, make_member):
    """alice, who added a passkey ("Test key") in this browser and signed out again."""
    member = make_member("alice", first_name="Alice")
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    add_passkey(page)
    sign_out(page)
    return member


def test_the_passkey_is_the_second_factor_after_the_password(page, alice_with_passkey):
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    expect(page.get_by_role("heading", name="Use your passkey")).to_be_visible()
    assert not signed_in(page)  # the password alone is not enough
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    assert signed_in(page)
    used = SecurityEvent.objects.filter(member=alice_with_passkey, kind=Kind.PASSKEY_USED)
    assert list(used.values_list("reason", flat=True)) == [
        f"passkey #{alice_with_passkey.webauthncredential_set.get().pk}: second factor"
    ]


def test_a_passkey_signs_in_without_the_password_from_another_browser(
    browser, live_server, authenticator, alice_with_passkey
):
    # Another browser (no cookie of the first) on a device the passkey is synced to.
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    try:
        other = context.new_page()
        synced = VirtualAuthenticator(other)
        for credential in authenticator.credentials():
            synced.add_credential(credential)
        other.goto("/accounts/login/")
        other.get_by_role("button", name="Sign in with a passkey").click()
        expect(other.get_by_role("heading", name="Welcome, Alice")).to_be_visible()

        open_passkeys(other)
        row = other.get_by_role("row").filter(has=other.get_by_role("textbox", name="New name for Test key"))
        last_used = row.get_by_role("cell").nth(2)
        used_at = WebAuthnCredential.objects.get(user=alice_with_passkey).last_used_at
        assert used_at is not None
        expect(last_used).not_to_have_text("Not used yet")
        expect(last_used).to_contain_text(str(used_at.year))
        synced.remove()
    finally:
        context.close()


def test_a_removed_passkey_no_longer_signs_in(page, authenticator, alice_with_passkey):
    page.goto("/accounts/login/")
    sign_in(page, "alice")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    open_passkeys(page)
    page.get_by_role("link", name="Remove Test key").click()
    expect(page.get_by_role("heading", name="Remove the passkey “Test key”")).to_be_visible()
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Remove the passkey").click()
    expect(page.get_by_text("The passkey “Test key” is removed.")).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    expect(page.get_by_role("textbox", name="New name for Test key")).to_have_count(0)
    assert not WebAuthnCredential.objects.filter(user=alice_with_passkey).exists()
    sign_out(page)

    # The device still holds it and signs with it; the portal no longer knows it.
    assert len(authenticator.credentials()) == 1
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(status_of(page)).to_contain_text(NOT_REGISTERED)
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert not signed_in(page)
    refused = SecurityEvent.objects.filter(kind=Kind.PASSKEY_FAILED).values_list("reason", flat=True)
    assert list(refused) == ["sign in: a passkey this portal does not know"]


def test_the_reset_tool_takes_the_passkey_and_unfreezes_the_account(page, alice_with_passkey):
    page.goto("/accounts/login/")
    for attempt in range(5):
        sign_in(page, "alice", f"not my password {attempt}")
    expect(page.get_by_role("alert")).to_contain_text("This account is frozen")
    assert is_frozen("alice")

    # Frozen means frozen: the passkey does not sign in either.
    page.get_by_role("link", name="Sign in with a different username").click()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(status_of(page)).to_contain_text("This account is frozen after too many failed sign-in attempts")
    assert not signed_in(page)

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_role("button", name="Continue").click()
    for key, answer in MEMBER_ANSWERS.items():
        page.get_by_label(QUESTIONS[key]).fill(answer)
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_text("Your account uses two-factor sign-in, so a password reset needs it too.")).to_be_visible()
    expect(page.get_by_role("textbox")).to_have_count(0)  # no code to type: a passkey is all this account has
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert is_frozen("alice")  # until the new password is set
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="Your password has been reset")).to_be_visible()
    assert not is_frozen("alice")

    page.get_by_role("link", name="Sign in with your new password").click()
    sign_in(page, "alice", NEW_PASSWORD)
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()


def test_without_user_verification_the_passkey_does_not_sign_in(page, authenticator, alice_with_passkey):
    # The device is there, but the fingerprint, face or PIN check fails: the portal requires it.
    authenticator.set_user_verified(False)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(status_of(page)).to_contain_text("The passkey request was cancelled or timed out")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert not signed_in(page)
    assert not SecurityEvent.objects.filter(kind=Kind.PASSKEY_USED).exists()

    # Once the check passes, the same passkey signs in.
    authenticator.set_user_verified(True)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()


def test_an_assertion_relayed_from_another_site_is_refused(page, live_server, alice_with_passkey):
    # http://localhost:OTHER is another origin with the same RP id: the browser signs for it, and
    # its origin is in what it signed. Nothing listens there; Playwright answers with the page.
    other_origin = f"http://localhost:{free_port()}"
    page.route(f"{other_origin}/**", lambda route: route.fulfill(content_type="text/html", body=RELAY_PAGE))

    # The relaying site asks the real portal for a challenge (as the member's browser would) ...
    portal = page.context.request
    assert portal.get("/accounts/login/").ok
    token = next(c["value"] for c in page.context.cookies(live_server.url) if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    answer = portal.post("/accounts/login/passkey/options/", headers=headers, data="{}")
    assert answer.status == 200
    options = answer.json()["options"]
    assert options["rpId"] == "localhost"

    # ... has the browser sign it on its own page, and posts the result to the portal.
    page.goto(f"{other_origin}/sign-in")
    assertion = page.evaluate(RELAY_SIGN, options)
    signed = json.loads(base64url(assertion["response"]["clientDataJSON"]))
    assert signed["origin"] == other_origin and signed["challenge"] == options["challenge"]
    refused = portal.post("/accounts/login/passkey/", headers=headers, data=json.dumps({"credential": assertion}))
    assert refused.status == 403
    assert refused.json() == {"error": NOT_ACCEPTED}
    assert not signed_in(page)
    failed = SecurityEvent.objects.filter(kind=Kind.PASSKEY_FAILED).values_list("reason", flat=True)
    assert len(failed) == 1 and failed[0].startswith("sign in: the signature did not verify")
    assert not SecurityEvent.objects.filter(kind=Kind.PASSKEY_USED).exists()

    # The same passkey, on the portal's own page, signs in: only the origin was wrong.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
