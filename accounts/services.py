"""Changes to members. Each writes its audit event in the same transaction."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import password_validation, update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from security import notices
from security.audit import Kind, record_event
from security.questions import set_security_answers
from security.usernames import normalize_username

from .models import User


def create_member(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = "", actor: str
) -> User:
    return _create_account(
        username=username, email=email, password=password, first_name=first_name, last_name=last_name, actor=actor
    )


# The operator's name for each role, and the group (made by accounts 0005) that gives it.
STAFF_ROLES = {"support": "Support", "security": "Security"}


@transaction.atomic
def create_staff(
    *, username: str, email: str, password: str, role: str, first_name: str = "", last_name: str = "", actor: str
) -> User:
    """A support staff account in one role; it must turn on two-factor sign-in before reaching the support site."""
    if role not in STAFF_ROLES:
        raise ValidationError(
            _("Unknown role %(role)s: choose one of %(roles)s.") % {"role": repr(role), "roles": ", ".join(STAFF_ROLES)}
        )
    group = Group.objects.filter(name=STAFF_ROLES[role]).first()
    if group is None:
        raise ValidationError(
            _("The %(group)s group is missing: run the migrations first.") % {"group": STAFF_ROLES[role]}
        )
    staff = _create_account(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        actor=actor,
        is_staff=True,
        reason=f"staff account, role {group.name}",
    )
    staff.groups.add(group)
    return staff


@transaction.atomic
def _create_account(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    actor: str,
    is_staff: bool = False,
    reason: str = "",
) -> User:
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
    record_event(Kind.MEMBER_CREATED, member=member, actor=actor, reason=reason)
    return member


@transaction.atomic
def choose_security_questions(*, member: User, choices: Iterable[tuple[str, str]], request: HttpRequest) -> None:
    set_security_answers(member=member, choices=choices, request=request)
    notices.questions_changed(member, request=request)


@transaction.atomic
def change_password(*, member: User, form: "SetPasswordForm[User]", request: HttpRequest) -> None:
    """Set the new password; this session stays signed in, every other one ends."""
    member.password_changed_at = timezone.now()
    member.must_change_password = False
    form.save()
    update_session_auth_hash(request, member)
    record_event(Kind.PASSWORD_CHANGED, request=request, member=member)
    notices.password_changed(member, request=request)


def password_age_days(member: User) -> int | None:
    if member.password_changed_at is None:
        return None
    return (timezone.now() - member.password_changed_at).days


def password_reminder_due(member: User) -> bool:
    age = password_age_days(member)
    return age is not None and age >= settings.PORTAL_PASSWORD_REMINDER_DAYS


@transaction.atomic
def set_password_by_operator(
    *, member: User, password: str, actor: str, reason: str, require_change: bool = False
) -> None:
    """An operator sets the password (the password rules apply). Every session of the member ends."""
    password_validation.validate_password(password, member)
    member.set_password(password)
    member.password_changed_at = timezone.now()
    member.must_change_password = require_change
    member.save(update_fields=["password", "password_changed_at", "must_change_password"])
    record_event(Kind.PASSWORD_SET_BY_OPERATOR, member=member, actor=actor, reason=reason)
