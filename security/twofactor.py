"""Two-factor sign-in: an authenticator app (TOTP) with single-use backup codes.

After the password, a member with a confirmed device is not signed in: the session holds a
pending sign-in naming the member, for PORTAL_TWO_FACTOR_PENDING_SECONDS, until a code passes.
Codes are checked through authenticate(), so wrong ones count toward the account's freeze.
"""

import secrets
import time
from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from . import notices, sql
from .audit import Kind, record_event
from .models import BackupCodeDevice, StaffSignInPolicy

PENDING_KEY = "two_factor_pending"
CODE_JUST_USED = gettext_lazy("That code was just used. Wait for your app to show a new one, then enter it.")
BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: 0/o, 1/l/i


def has_two_factor(member: Any) -> bool:
    """Whether the member has a second factor: a confirmed authenticator app or a passkey. Asked at
    every sign-in, so in SQL (one statement)."""
    statement = (
        "SELECT 1 FROM {devices} WHERE user_id = %s AND confirmed = %s"
        " UNION ALL SELECT 1 FROM {passkeys} WHERE user_id = %s AND confirmed = %s LIMIT 1"
    )
    found = sql.run(statement, [member.pk, True, member.pk, True], devices=TOTPDevice, passkeys=WebAuthnCredential)
    return found is not None


def has_app(member: Any) -> bool:
    """Whether the member has a confirmed authenticator app (and so codes to type)."""
    statement = "SELECT 1 FROM {devices} WHERE user_id = %s AND confirmed = %s LIMIT 1"
    return sql.run(statement, [member.pk, True], devices=TOTPDevice) is not None


def must_enroll(member: Any) -> bool:
    return (member.is_staff or settings.PORTAL_REQUIRE_TWO_FACTOR) and not has_two_factor(member)


def passkey_required(member: Any) -> bool:
    """Staff sign in with a passkey when the Security role requires it in the support site (the staff
    sign-in policy), or the environment does (PORTAL_STAFF_REQUIRE_PASSKEY). Members never."""
    if not member.is_staff:
        return False
    return bool(settings.PORTAL_STAFF_REQUIRE_PASSKEY) or staff_policy_requires_passkey()


def staff_policy_requires_passkey() -> bool:
    return StaffSignInPolicy.objects.filter(pk=1, require_passkey=True).exists()


def match_code(member: Any, code: str | None) -> Device | None:
    """The member's confirmed device that accepts `code` (a TOTP code or a backup code), or None."""
    code = (code or "").strip()
    device: Device
    with transaction.atomic():
        # Locked, so one TOTP code sent twice at once is accepted once.
        for device in devices_for_user(member, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def code_just_used(member: Any, code: str | None) -> bool:
    """Whether `code` is the app code the member's device last accepted, still on the app's screen.

    Such a code is refused (never twice), but the member is told why: the app shows it for up to
    30 seconds after it was used, for instance at set-up just before signing in again.
    """
    code = (code or "").strip()
    if not code.isdigit():
        return False
    device: TOTPDevice
    for device in TOTPDevice.objects.filter(user=member, confirmed=True):
        if device.last_t < 0 or len(code) != device.digits:
            continue
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        on_screen = totp.t() - device.tolerance <= device.last_t <= totp.t() + device.tolerance
        if on_screen and hotp(device.bin_key, device.last_t, digits=device.digits) == int(code):
            return True
    return False


class SecondFactorBackend(ModelBackend):
    """authenticate(request, username=..., otp_token=...) for a sign-in whose password already passed."""

    # A code in the place of ModelBackend's password: never a password, so the signature differs.
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        otp_token: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if username is None or otp_token is None or request is None:
            return None
        pending = pending_sign_in(request)
        if pending is None or pending["username"] != username:
            return None  # never a sign-in by code alone
        member = get_user_model()._default_manager.filter(pk=pending["member"]).first()
        if member is None or not self.user_can_authenticate(member):
            return None
        device = match_code(member, otp_token)
        if device is None:
            return None
        request.otp_device_used = device  # type: ignore[attr-defined]  # the code step signs in with it
        return member


# The pending sign-in ------------------------------------------------------------------------


def begin_pending(request: HttpRequest, member: Any, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "member": member.pk,
        "username": member.get_username(),
        "next": next_url,
        "expires": time.time() + settings.PORTAL_TWO_FACTOR_PENDING_SECONDS,
    }


def pending_sign_in(request: HttpRequest) -> dict[str, Any] | None:
    pending: dict[str, Any] | None = request.session.get(PENDING_KEY)
    if not pending or pending["expires"] < time.time():
        return None
    return pending


def pending_username(request: HttpRequest) -> str:
    """The username of this session's sign-in waiting for its code, even one that took too long."""
    pending = request.session.get(PENDING_KEY) or {}
    return str(pending.get("username", ""))


def end_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def mark_verified(request: HttpRequest, device: Device) -> None:
    """This session has passed the second factor with `device` (django-otp's session record)."""
    otp_login(request, device)
    request.user.otp_device = device  # type: ignore[union-attr]  # what django-otp's middleware sets


# Enrollment and removal --------------------------------------------------------------------


def start_enrollment(member: Any) -> TOTPDevice:
    """A new, unconfirmed authenticator device; an earlier unconfirmed one is discarded."""
    TOTPDevice.objects.filter(user=member, confirmed=False).delete()
    return TOTPDevice.objects.create(user=member, name="Authenticator app", confirmed=False)


def unconfirmed_device(member: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=member, confirmed=False).order_by("-id").first()


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's setup address as an inline SVG QR code, drawn here: no third-party service.

    A viewBox and no width/height (omitsize), so CSS scales the whole code instead of cropping it.
    """
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=1, dark="#111", light="#fff", omitsize=True)


def secret_text(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def confirm_enrollment(*, member: Any, device: TOTPDevice, request: HttpRequest | None) -> list[str]:
    """Mark the device confirmed and make the backup codes; returns the codes to show once."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _replace_backup_codes(member)
    record_event(Kind.TWO_FACTOR_ENABLED, request=request, member=member)
    notices.two_factor_enabled(member, request=request)
    return codes


@transaction.atomic
def new_backup_codes(*, member: Any, request: HttpRequest | None) -> list[str]:
    codes = _replace_backup_codes(member)
    record_event(Kind.BACKUP_CODES_REPLACED, request=request, member=member)
    notices.backup_codes_replaced(member, request=request)
    return codes


def _replace_backup_codes(member: Any) -> list[str]:
    codes = [
        "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(10)) for _ in range(settings.PORTAL_BACKUP_CODE_COUNT)
    ]
    BackupCodeDevice.objects.filter(user=member).delete()
    BackupCodeDevice.objects.create(
        user=member, name="Backup codes", confirmed=True, code_hashes=[make_password(code) for code in codes]
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def backup_codes_left(member: Any) -> int:
    device = BackupCodeDevice.objects.filter(user=member).first()
    return len(device.code_hashes) if device else 0


@transaction.atomic
def remove_two_factor(*, member: Any, request: HttpRequest | None = None, actor: str = "", reason: str = "") -> None:
    """The app and the backup codes. Staff or an operator (`actor`) also remove the member's passkeys:
    they do it for a member who lost their devices, or whose account someone else got into."""
    TOTPDevice.objects.filter(user=member).delete()
    BackupCodeDevice.objects.filter(user=member).delete()
    if actor:
        removed, _ = WebAuthnCredential.objects.filter(user=member).delete()
        if removed:
            reason = f"{reason}; passkeys removed too" if reason else "passkeys removed too"
    record_event(Kind.TWO_FACTOR_REMOVED, request=request, member=member, actor=actor, reason=reason)
    notices.two_factor_removed(member, request=request, by_staff=bool(actor))
