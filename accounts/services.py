"""Changes to members. Each writes its audit event in the same transaction."""

from django.conf import settings
from django.contrib.auth import password_validation, update_session_auth_hash
from django.db import transaction
from django.utils import timezone

from security import notices
from security.audit import Kind, record_event
from security.questions import set_security_answers
from security.usernames import normalize_username

from .models import User


def create_member(*, username, email, password, first_name="", last_name="", actor):
    return _create_account(
        username=username, email=email, password=password, first_name=first_name, last_name=last_name, actor=actor
    )


def create_staff(*, username, email, password, first_name="", last_name="", actor):
    """A support staff account; it must turn on two-factor sign-in before reaching the support site."""
    return _create_account(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        actor=actor,
        is_staff=True,
    )


@transaction.atomic
def _create_account(*, username, email, password, first_name, last_name, actor, is_staff=False):
    member = User(
        username=normalize_username(username),
        email=User.objects.normalize_email(email),
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
    )
    member.full_clean(exclude=["password"])
    password_validation.validate_password(password, member)
    member.set_password(password)
    member.password_changed_at = timezone.now()
    member.save()
    record_event(Kind.MEMBER_CREATED, member=member, actor=actor)
    return member


@transaction.atomic
def choose_security_questions(*, member, choices, request):
    set_security_answers(member=member, choices=choices, request=request)
    notices.questions_changed(member)


@transaction.atomic
def change_password(*, member, form, request):
    """Set the new password; this session stays signed in, every other one ends."""
    member.password_changed_at = timezone.now()
    member.must_change_password = False
    form.save()
    update_session_auth_hash(request, member)
    record_event(Kind.PASSWORD_CHANGED, request=request, member=member)
    notices.password_changed(member)


def password_age_days(member):
    if member.password_changed_at is None:
        return None
    return (timezone.now() - member.password_changed_at).days


def password_reminder_due(member):
    age = password_age_days(member)
    return age is not None and age >= settings.PORTAL_PASSWORD_REMINDER_DAYS


@transaction.atomic
def set_password_by_operator(*, member, password, actor, reason, require_change=False):
    """An operator sets the password (the password rules apply). Every session of the member ends."""
    password_validation.validate_password(password, member)
    member.set_password(password)
    member.password_changed_at = timezone.now()
    member.must_change_password = require_change
    member.save(update_fields=["password", "password_changed_at", "must_change_password"])
    record_event(Kind.PASSWORD_SET_BY_OPERATOR, member=member, actor=actor, reason=reason)
