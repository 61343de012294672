"""Emails that tell a member about a change to their account's security.

Sent only once the change has committed, and never containing a password, an answer or a link
that acts on the account.
"""

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


def _send(member: Any, subject: str, template: str, *, to: str | None = None, **context: Any) -> None:
    address = member.email if to is None else to
    if not address:
        return
    body = render_to_string(
        f"security/email/{template}.txt",
        {"member": member, "support_phone": settings.PORTAL_SUPPORT_PHONE, **context},
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
