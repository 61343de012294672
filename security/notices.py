"""Emails that tell a member about a change to their account's security.

Sent only once the change has committed, and never containing a password, an answer or a link
that acts on the account.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


def _send(member, subject, template, **context):
    if not member.email:
        return
    body = render_to_string(
        f"security/email/{template}.txt",
        {"member": member, "support_phone": settings.PORTAL_SUPPORT_PHONE, **context},
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, [member.email], fail_silently=True))


def password_reset(member):
    _send(member, "Your password was reset", "password_reset")


def password_changed(member):
    _send(member, "Your password was changed", "password_changed")


def questions_changed(member):
    _send(member, "Your security questions were changed", "questions_changed")


def reset_locked(member):
    minutes = settings.PORTAL_RESET_LOCK_SECONDS // 60
    _send(member, "Password reset locked after wrong answers", "reset_locked", minutes=minutes)


def two_factor_enabled(member):
    _send(member, "Two-factor sign-in is on", "two_factor_enabled")


def two_factor_removed(member):
    _send(member, "Two-factor sign-in was removed", "two_factor_removed")


def reset_held(member):
    _send(member, "Password reset locked: call Member Support", "reset_held")
