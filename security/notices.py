"""Emails that tell a member about a change to their account's security.

Each says what happened, when (in the member's own time zone), from where (browser and
approximate place, or Member Support) and what to do if it was not them (the reset tool's link and
the support phone number). None holds a password, an answer, a code or a link that signs in (the
one link that acts, confirming a new address, needs the member signed in).

Each is rendered in the member's language and written to the outbox (SecurityNotice) in the
transaction of the change it reports, with its delivery task (security/tasks.py): a change that
rolls back sends nothing, one that commits is sent by the worker, and the request never waits for
the mail server. A second notice of one kind to one member and address within
PORTAL_NOTICE_REPEAT_SECONDS is counted on the first instead of mailed.
"""

import hashlib
import secrets
import zoneinfo
from datetime import timedelta
from functools import lru_cache
from typing import Any

import ua_parser
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import tasks
from .addresses import client_ip
from .clients import approximate_place, describe_browser
from .models import MemberSession, SecurityNotice

Kind = SecurityNotice.Kind
Status = SecurityNotice.Status

SUBJECTS = {
    Kind.ACCOUNT_FROZEN: _("Your account was frozen after failed sign-ins"),
    Kind.ACCOUNT_UNFROZEN: _("Your account was unfrozen"),
    Kind.NEW_BROWSER_SIGN_IN: _("New sign-in to your account"),
    Kind.PASSWORD_CHANGED: _("Your password was changed"),
    Kind.PASSWORD_RESET: _("Your password was reset"),
    Kind.QUESTIONS_CHANGED: _("Your security questions were changed"),
    Kind.RESET_LOCKED: _("Password reset locked after wrong answers or two-factor codes"),
    Kind.RESET_HELD: _("Password reset locked: call Member Support"),
    Kind.TWO_FACTOR_ENABLED: _("Two-factor sign-in is on"),
    Kind.TWO_FACTOR_REMOVED: _("Two-factor sign-in was removed"),
    Kind.BACKUP_CODES_REPLACED: _("Your backup codes were replaced"),
    Kind.EMAIL_CHANGED: _("Your email address was changed"),
    Kind.CONFIRM_NEW_EMAIL: _("Confirm your new email address"),
    Kind.PASSKEY_ADDED: _("A passkey was added to your account"),
    Kind.PASSKEY_REMOVED: _("A passkey was removed from your account"),
    Kind.PASSKEY_NEW_DEVICE: _("Your passkey was used on a new device"),
}
# A new link each time, and the earlier one stops working: never held back by the repeat window.
ALWAYS_SENT = {Kind.CONFIRM_NEW_EMAIL}


def _member_zone(member: Any) -> zoneinfo.ZoneInfo:
    # Read as an attribute, so this layer needs no knowledge of the member model.
    name = getattr(member, "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _member_language(member: Any) -> str:
    code = str(getattr(member, "language", "") or "")
    return code if code in dict(settings.LANGUAGES) else str(settings.LANGUAGE_CODE)


def _reset_url(request: HttpRequest | None) -> str:
    path = reverse("password_reset:start")
    if settings.PORTAL_SITE_URL:
        return f"{str(settings.PORTAL_SITE_URL).rstrip('/')}{path}"
    return str(request.build_absolute_uri(path)) if request is not None else ""


def _origin(request: HttpRequest | None, by_staff: bool) -> dict[str, Any]:
    """From where: Member Support, or the browser and rough place of the request that made the change."""
    if by_staff:
        return {"by_staff": True}
    if request is None:
        return {}
    return {
        "browser": describe_browser(request.headers.get("user-agent", "")[:300]),
        "place": approximate_place(client_ip(request)),
    }


def _repeat_key(member: Any, kind: str, address: str, now: Any) -> str | None:
    window = settings.PORTAL_NOTICE_REPEAT_SECONDS
    if kind in ALWAYS_SENT or window <= 0:
        return None
    who = hashlib.sha256(f"{member.pk}:{kind}:{address}".encode()).hexdigest()[:40]
    return f"{who}:{int(now.timestamp()) // window}"


def _queue(
    kind: str,
    member: Any,
    *,
    request: HttpRequest | None = None,
    to: str | None = None,
    by_staff: bool = False,
    **context: Any,
) -> SecurityNotice | None:
    """Write the notice and its delivery task in the caller's transaction. None when held back as a repeat."""
    address = (member.email if to is None else to) or ""
    now = timezone.now()
    repeat_key = _repeat_key(member, kind, address, now)
    if repeat_key is not None:
        since = now - timedelta(seconds=settings.PORTAL_NOTICE_REPEAT_SECONDS)
        earlier = SecurityNotice.objects.filter(member=member, kind=kind, to_address=address, created_at__gt=since)
        if earlier.update(repeats=F("repeats") + 1):
            return None
    language = _member_language(member)
    with translation.override(language), timezone.override(_member_zone(member)):
        subject = str(SUBJECTS[Kind(kind)])
        rendered = render_to_string(
            f"security/email/{kind}.txt",
            {
                "member": member,
                "support_phone": settings.PORTAL_SUPPORT_PHONE,
                "when": now,
                "reset_url": _reset_url(request),
                **_origin(request, by_staff),
                **context,
            },
        )
    body = rendered.strip() + "\n"
    notice = SecurityNotice(
        kind=kind,
        member=member,
        to_address=address,
        language=language,
        subject=subject,
        body=body,
        created_at=now,
        repeat_key=repeat_key,
    )
    if address:
        notice.token = secrets.token_hex(16)
    else:
        # Kept, not dropped: support sees that this member was not told.
        notice.status, notice.last_error = Status.FAILED, "No email address to send to."
    try:
        with transaction.atomic():
            notice.save(force_insert=True)
    except IntegrityError:
        return None  # the same notice, written this very moment by a concurrent request
    if address:
        tasks.schedule(notice)
    return notice


def password_reset(member: Any, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.PASSWORD_RESET, member, request=request)


def password_changed(member: Any, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.PASSWORD_CHANGED, member, request=request)


def questions_changed(member: Any, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.QUESTIONS_CHANGED, member, request=request)


def reset_locked(member: Any, *, request: HttpRequest | None = None) -> None:
    minutes = settings.PORTAL_RESET_LOCK_SECONDS // 60
    _queue(Kind.RESET_LOCKED, member, request=request, minutes=minutes)


def reset_held(member: Any, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.RESET_HELD, member, request=request)


def two_factor_enabled(member: Any, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.TWO_FACTOR_ENABLED, member, request=request)


def two_factor_removed(member: Any, *, request: HttpRequest | None = None, by_staff: bool = False) -> None:
    _queue(Kind.TWO_FACTOR_REMOVED, member, request=request, by_staff=by_staff)


def backup_codes_replaced(member: Any, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.BACKUP_CODES_REPLACED, member, request=request)


def passkey_added(member: Any, name: str, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.PASSKEY_ADDED, member, request=request, passkey=name)


def passkey_removed(member: Any, name: str, *, request: HttpRequest | None = None, by_staff: bool = False) -> None:
    _queue(Kind.PASSKEY_REMOVED, member, request=request, by_staff=by_staff, passkey=name)


def passkey_new_device(member: Any, name: str, *, request: HttpRequest | None = None) -> None:
    _queue(Kind.PASSKEY_NEW_DEVICE, member, request=request, passkey=name)


def account_frozen(member: Any, *, request: HttpRequest | None = None) -> None:
    failures = settings.PORTAL_FREEZE_AFTER_FAILURES
    _queue(Kind.ACCOUNT_FROZEN, member, request=request, failures=failures)


def account_unfrozen(member: Any, *, request: HttpRequest | None = None, by_staff: bool = False) -> None:
    _queue(Kind.ACCOUNT_UNFROZEN, member, request=request, by_staff=by_staff)


def new_browser_sign_in(member: Any, *, request: HttpRequest) -> None:
    _queue(Kind.NEW_BROWSER_SIGN_IN, member, request=request)


def email_changed(member: Any, previous_email: str, *, request: HttpRequest | None = None) -> None:
    # To the previous address: if the change was not the member's, that is where they still read mail.
    _queue(Kind.EMAIL_CHANGED, member, request=request, to=previous_email)


def confirm_new_email(
    member: Any, new_email: str, confirm_url: str, valid_hours: int, *, request: HttpRequest | None = None
) -> None:
    # To the new address only: opening the link proves the member reads mail there.
    _queue(
        Kind.CONFIRM_NEW_EMAIL,
        member,
        request=request,
        to=new_email,
        new_email=new_email,
        confirm_url=confirm_url,
        valid_hours=valid_hours,
    )


# A sign-in from a browser this account has not used before -----------------------------------


@lru_cache(maxsize=2048)
def browser_kind(user_agent: str) -> tuple[str, str]:
    """(browser, operating system), without versions: an update of the same browser is not a new one."""
    parsed = ua_parser.parse(user_agent) if user_agent else None
    browser = parsed.user_agent.family if parsed and parsed.user_agent else ""
    system = parsed.os.family if parsed and parsed.os else ""
    return browser, system


def is_new_browser(member: Any, user_agent: str) -> bool:
    """True when the member has signed in before, but never (as their session records know) with this
    kind of browser. The first sign-in of an account is nobody's new browser."""
    seen = MemberSession.objects.filter(member=member).order_by().values_list("user_agent", flat=True).distinct()[:200]
    kinds = {browser_kind(agent) for agent in seen}
    return bool(kinds) and browser_kind(user_agent[:300]) not in kinds


@receiver(user_logged_in, dispatch_uid="security.notices.new_browser")
def _tell_of_new_browser(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Inside the sign-in's transaction, before its own session is listed (security.sessions.start).
    if request is not None and is_new_browser(user, request.headers.get("user-agent", "")):
        new_browser_sign_in(user, request=request)
