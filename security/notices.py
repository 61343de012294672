"""Emails that tell a member about a change to their account's security.

Sent only once the change has committed, and never containing a password, an answer or a link
that acts on the account (the one exception, confirming a new address, needs the member signed in).
Each says when, in the member's own time zone.
"""

import zoneinfo
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone


def _member_zone(member: Any) -> zoneinfo.ZoneInfo:
    # Read as an attribute, so this layer needs no knowledge of the member model.
    name = getattr(member, "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _send(member: Any, subject: str, template: str, *, to: str | None = None, **context: Any) -> None:
    address = member.email if to is None else to
    if not address:
        return
    with timezone.override(_member_zone(member)):
        body = render_to_string(
            f"security/email/{template}.txt",
            {"member": member, "support_phone": settings.PORTAL_SUPPORT_PHONE, "when": timezone.now(), **context},
        )
    transaction.on_commit(lambda: send_mail(subject, body, None, [address], fail_silently=True))


def password_reset(member: Any) -> None:
    _send(member, "Your password was reset", "password_reset")


def password_changed(member: Any) -> None:
    _send(member, "Your password was changed", "password_changed")


def questions_changed(member: Any) -> None:
    _send(member, "Your security questions were changed", "questions_changed")


def reset_locked(member: Any) -> None:
    minutes = settings.PORTAL_RESET_LOCK_SECONDS // 60
    _send(member, "Password reset locked after wrong answers", "reset_locked", minutes=minutes)


def two_factor_enabled(member: Any) -> None:
    _send(member, "Two-factor sign-in is on", "two_factor_enabled")


def two_factor_removed(member: Any) -> None:
    _send(member, "Two-factor sign-in was removed", "two_factor_removed")


def reset_held(member: Any) -> None:
    _send(member, "Password reset locked: call Member Support", "reset_held")


def email_changed(member: Any, previous_email: str) -> None:
    # To the previous address: if the change was not the member's, that is where they still read mail.
    _send(member, "Your email address was changed", "email_changed", to=previous_email)


def confirm_new_email(member: Any, new_email: str, confirm_url: str, valid_hours: int) -> None:
    # To the new address only: opening the link proves the member reads mail there.
    _send(
        member,
        "Confirm your new email address",
        "confirm_new_email",
        to=new_email,
        new_email=new_email,
        confirm_url=confirm_url,
        valid_hours=valid_hours,
    )
