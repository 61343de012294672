"""Passkeys (WebAuthn) through django-otp-webauthn: a second factor, and a way in without a password.

The library's helper does the WebAuthn work (py_webauthn underneath): options, and checking what the
browser sends back against the challenge, the relying party and the allowed origins. The library's
own views are not used: the portal's answer each ceremony with its own rules (the freeze, the
pending sign-in, the reset tool, the audit and the notices), and this module is what they share.

Each ceremony's challenge lives in the session under its purpose, is used once (taken out before it
is checked) and expires after OTP_WEBAUTHN_TIMEOUT_SECONDS. A refused assertion is audited and
counts toward nothing: it is a signature that did not verify, not a guess that could come true.
"""

import hashlib
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from webauthn import base64url_to_bytes
from webauthn.helpers import exceptions as pywebauthn_errors

from . import notices
from .audit import Kind, record_event
from .models import SecurityEvent, UsedPasskeyChallenge

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it

log = logging.getLogger("security.passkeys")

# What each ceremony is for; each keeps its challenge apart, so one cannot answer another.
SIGN_IN = "sign_in"  # without a password: user verification required
SECOND_FACTOR = "second_factor"  # after the password
RESET = "reset"  # the reset tool's second-factor step
STEP_UP = "step_up"  # a signed-in session proving a passkey (staff, when the support site requires one)
PURPOSES = (SIGN_IN, SECOND_FACTOR, RESET, STEP_UP)
REGISTER = "register"
_STATE_KEY = "passkey_ceremony"
# A sign-in without a password has no session yet: its state waits in this signed cookie instead.
SIGN_IN_COOKIE = "portal_passkey_sign_in"
_SALT = "security.passkeys"
NAME_MAX_LENGTH = 64
# The browser sends a few kilobytes; anything far larger is refused before it is parsed.
MAX_RESPONSE_BYTES = 64 * 1024


class PasskeyRefused(Exception):
    """The ceremony failed; `message` is what the member is told (never why the signature failed)."""

    def __init__(self, message: Any, *, member: "Member | None" = None, reason: str = "") -> None:
        super().__init__(str(message))
        self.message = message
        self.member = member
        self.reason = reason


NOT_ACCEPTED = _("That passkey was not accepted. Try again, or use another way to sign in.")
EXPIRED = _("That took too long. Please try again.")
UNKNOWN = _("This passkey is not registered with the Member Portal. Use another way to sign in.")


class PortalWebAuthnHelper(WebAuthnHelper):
    """The library's helper with the portal's choices (OTP_WEBAUTHN_HELPER_CLASS)."""

    def get_credential_display_name(self, user: Any) -> str:
        # Shown by the browser's passkey chooser: the account's name, nothing about the member's health.
        return str(user.get_username())

    def get_generate_registration_options_kwargs(self, *, user: Any) -> dict[str, Any]:
        from webauthn.helpers.structs import AuthenticatorSelectionCriteria, UserVerificationRequirement

        options = super().get_generate_registration_options_kwargs(user=user)
        # Required, not preferred: a passkey that signs in without a password must prove the person.
        selection = options["authenticator_selection"]
        options["authenticator_selection"] = AuthenticatorSelectionCriteria(
            resident_key=selection.resident_key, user_verification=UserVerificationRequirement.REQUIRED
        )
        return options


def _helper(request: HttpRequest) -> WebAuthnHelper:
    helper: WebAuthnHelper = WebAuthnCredential.get_webauthn_helper(request=request)
    return helper


def passkeys_of(member: Any) -> Any:
    return WebAuthnCredential.objects.filter(user=member, confirmed=True).order_by("created_at", "pk")


def has_passkey(member: Any) -> bool:
    return bool(passkeys_of(member).exists())


def label(device: WebAuthnCredential) -> str:
    """How the audit names a passkey: its number, which stays when the member renames it."""
    return f"passkey #{device.pk}"


def _ceremony(purpose: str, state: dict[str, Any], member: Any) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "state": state,
        "member": getattr(member, "pk", None),
        "expires": time.time() + settings.OTP_WEBAUTHN_TIMEOUT_SECONDS,
    }


def _save_state(request: HttpRequest, purpose: str, state: dict[str, Any], member: Any = None) -> None:
    request.session[_STATE_KEY] = _ceremony(purpose, state, member)


def _take_state(request: HttpRequest, purpose: str, member: Any = None) -> dict[str, Any]:
    """This ceremony's state: from the session (taken out first, so it answers once), or for a sign-in
    without a password from its signed cookie (single use through UsedPasskeyChallenge)."""
    saved: Any
    if purpose == SIGN_IN:
        try:
            saved = signing.loads(request.COOKIES.get(SIGN_IN_COOKIE, ""), salt=_SALT)
        except signing.BadSignature:
            saved = None
    else:
        saved = request.session.pop(_STATE_KEY, None)
        try:
            request.session.save()
        except UpdateError:  # a concurrent answer signed in meanwhile and gave the session a new key
            request.session.modified = False
            raise PasskeyRefused(EXPIRED, member=member, reason="the session ended meanwhile") from None
    if (
        not isinstance(saved, dict)
        or saved.get("purpose") != purpose
        or saved.get("member") != getattr(member, "pk", None)
        or saved.get("expires", 0) < time.time()
        or not isinstance(saved.get("state"), dict)
    ):
        raise PasskeyRefused(EXPIRED, member=member, reason="no ceremony under way, or it expired")
    state: dict[str, Any] = saved["state"]
    return state


def _use_challenge(challenge: str, member: Any) -> None:
    """Mark an answered challenge, once its answer verified, in its own transaction: a second answer
    (two requests sent at once, on any server, or a sign-in cookie sent again) is refused."""
    digest = hashlib.sha256(challenge.encode()).hexdigest()
    now = timezone.now()
    try:
        with transaction.atomic():
            UsedPasskeyChallenge.objects.create(digest=digest, used_at=now)
    except IntegrityError:
        raise PasskeyRefused(EXPIRED, member=member, reason="the challenge was already answered") from None
    # Older than any challenge can live: no longer needed to refuse anything.
    horizon = now - timedelta(seconds=2 * settings.OTP_WEBAUTHN_TIMEOUT_SECONDS)
    UsedPasskeyChallenge.objects.filter(used_at__lt=horizon).delete()


def set_sign_in_cookie(response: HttpResponse, options_token: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE,
        options_token,
        max_age=settings.OTP_WEBAUTHN_TIMEOUT_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def forget_sign_in_cookie(response: HttpResponse) -> None:
    response.delete_cookie(SIGN_IN_COOKIE, samesite="Strict")


# Registration --------------------------------------------------------------------------------


def registration_options(request: HttpRequest, member: Any) -> dict[str, Any]:
    options: dict[str, Any]
    options, state = _helper(request).register_begin(user=member)
    _save_state(request, REGISTER, state, member)
    return options


def complete_registration(request: HttpRequest, member: Any, data: Any, name: str) -> WebAuthnCredential:
    """Check the new passkey, keep it under `name`, audit it and tell the member, in one transaction."""
    state = _take_state(request, REGISTER, member)
    if passkeys_of(member).count() >= settings.PORTAL_PASSKEYS_PER_MEMBER:
        raise PasskeyRefused(
            _("You have as many passkeys as an account can have. Remove one you no longer use first."), member=member
        )
    name = " ".join(name.split())[:NAME_MAX_LENGTH] or str(_("Passkey"))
    device: WebAuthnCredential
    try:
        with transaction.atomic(), rewrite_exceptions(logger=log):
            device = _helper(request).register_complete(user=member, state=state, data=data)
            _use_challenge(str(state.get("challenge", "")), member)
            device.name = name
            device.save(update_fields=["name"])  # type: ignore[no-untyped-call]  # unannotated in the library
            record_event(Kind.PASSKEY_ADDED, request=request, member=member, reason=f"{label(device)}: {name}")
            notices.passkey_added(member, name, request=request)
    except (webauthn_errors.OTPWebAuthnApiError, pywebauthn_errors.WebAuthnException, KeyError, TypeError, ValueError):
        log.info("passkey registration refused for member %s", member.pk, exc_info=True)
        raise PasskeyRefused(
            _("That passkey could not be added. It may already be saved for this account. Please try again."),
            member=member,
        ) from None
    return device


# Assertions (sign-in, second factor, reset) ---------------------------------------------------


def assertion_options(request: HttpRequest, purpose: str, member: Any = None) -> dict[str, Any]:
    """Options for one assertion by `member`, kept in the session (which these purposes already have)."""
    options, state = _assertion_begin(request, member)
    _save_state(request, purpose, state, member)
    return options


def sign_in_options(request: HttpRequest) -> tuple[dict[str, Any], str]:
    """Options for a sign-in without a password, and the signed token of its state for a cookie
    (set_sign_in_cookie): a visitor who asks costs no session row, however many ask. The browser
    offers whichever of its passkeys are for this site."""
    options, state = _assertion_begin(request, None)
    return options, signing.dumps(_ceremony(SIGN_IN, state, None), salt=_SALT)


def _assertion_begin(request: HttpRequest, member: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    # User verification is required for every purpose: a passkey on a lost, unlocked laptop is not
    # the member. The library asks for it only when no member is known; the portal always does.
    options: dict[str, Any]
    state: dict[str, Any]
    options, state = _helper(request).authenticate_begin(user=member, require_user_verification=True)
    return options, state


def complete_assertion(request: HttpRequest, purpose: str, data: Any, member: Any = None) -> WebAuthnCredential:
    """The passkey the browser used, checked; raises PasskeyRefused (audited) otherwise.

    With `member`, only that member's passkeys are accepted. The freeze is the caller's to check,
    once it knows whose passkey it is (the returned device's user).
    """
    state = _take_state(request, purpose, member)
    try:
        with rewrite_exceptions(logger=log):
            device: WebAuthnCredential = _helper(request).authenticate_complete(user=member, state=state, data=data)
    except webauthn_errors.CredentialNotFound:
        _audit_refused(request, purpose, member, "a passkey this portal does not know")
        raise PasskeyRefused(UNKNOWN, member=member) from None
    except webauthn_errors.CredentialUserMismatch:
        _audit_refused(request, purpose, member, "another account's passkey")
        raise PasskeyRefused(NOT_ACCEPTED, member=member) from None
    except (webauthn_errors.OTPWebAuthnApiError, pywebauthn_errors.WebAuthnException, KeyError, TypeError, ValueError):
        log.info("passkey assertion refused (%s)", purpose, exc_info=True)
        why = "the signature did not verify (another site, no user verification, a replay, or altered)"
        _audit_refused(request, purpose, member or _owner_of(data), why)
        raise PasskeyRefused(NOT_ACCEPTED, member=member) from None
    if not device.confirmed or not device.user.is_active:
        _audit_refused(request, purpose, device.user, f"{label(device)} may not be used")
        raise PasskeyRefused(NOT_ACCEPTED, member=device.user)
    try:
        _use_challenge(str(state.get("challenge", "")), device.user)
    except PasskeyRefused:
        _audit_refused(request, purpose, device.user, "an answer to a challenge already answered (a replay)")
        raise
    return device


def _owner_of(data: Any) -> Any:
    """Whose passkey an assertion names (None when it names none of ours), so its refusal is on their record."""
    try:
        raw_id = base64url_to_bytes(str(data.get("rawId", "")))
        return WebAuthnCredential.get_by_credential_id(raw_id).user
    except (AttributeError, TypeError, ValueError, WebAuthnCredential.DoesNotExist):
        return None


def _audit_refused(request: HttpRequest, purpose: str, member: Any, why: str) -> None:
    with transaction.atomic():
        record_event(Kind.PASSKEY_FAILED, request=request, member=member, reason=f"{purpose.replace('_', ' ')}: {why}")


def record_use(request: HttpRequest, device: WebAuthnCredential, purpose: str) -> None:
    """Audit a passkey that passed, in the caller's transaction; the first time it is used from a
    browser the account's passkey records do not know, tell the member. Before a sign-in completes."""
    member = device.user
    agent = request.headers.get("user-agent", "")
    seen = (
        SecurityEvent.objects.filter(
            member=member, kind__in=(Kind.PASSKEY_ADDED, Kind.PASSKEY_USED), reason__startswith=f"{label(device)}:"
        )
        .order_by()
        .values_list("user_agent", flat=True)
        .distinct()[:200]
    )
    new_device = notices.browser_kind(agent) not in {notices.browser_kind(a) for a in seen}
    record_event(
        Kind.PASSKEY_USED, request=request, member=member, reason=f"{label(device)}: {purpose.replace('_', ' ')}"
    )
    # A sign-in from a browser the account has never used is told by its own notice (new_browser_sign_in),
    # sent as the sign-in completes: one email for one event. Called before the sign-in lists its session.
    signing_in = purpose in (SIGN_IN, SECOND_FACTOR)
    if new_device and not (signing_in and notices.is_new_browser(member, agent)):
        notices.passkey_new_device(member, device.name, request=request)


# Management --------------------------------------------------------------------------------


def rename(*, member: Any, device: WebAuthnCredential, name: str, request: HttpRequest | None = None) -> str:
    name = " ".join(name.split())[:NAME_MAX_LENGTH] or str(_("Passkey"))
    with transaction.atomic():
        device.name = name
        device.save(update_fields=["name"])  # type: ignore[no-untyped-call]  # the library's save() is unannotated
        record_event(Kind.PASSKEY_RENAMED, request=request, member=member, reason=f"{label(device)}: {name}")
    return name


@transaction.atomic
def remove(
    *, member: Any, device: WebAuthnCredential, request: HttpRequest | None = None, actor: str = "", reason: str = ""
) -> None:
    name = device.name
    why = f"{label(device)}: {name}" + (f"; {reason}" if reason else "")
    device.delete()
    record_event(Kind.PASSKEY_REMOVED, request=request, member=member, actor=actor, reason=why)
    notices.passkey_removed(member, name, request=request, by_staff=bool(actor))


def is_passkey_session(request: HttpRequest) -> bool:
    """Whether this session passed its second factor (or signed in) with a passkey."""
    return isinstance(getattr(request.user, "otp_device", None), WebAuthnCredential)
