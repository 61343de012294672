"""Changes to members. Each writes its audit event in the same transaction."""

from django.contrib.auth import password_validation
from django.db import transaction
from django.utils import timezone

from security.audit import Kind, record_event

from .models import User, normalize_username


@transaction.atomic
def create_member(*, username, email, password, first_name="", last_name="", actor):
    member = User(
        username=normalize_username(username),
        email=User.objects.normalize_email(email),
        first_name=first_name,
        last_name=last_name,
    )
    member.full_clean(exclude=["password"])
    password_validation.validate_password(password, member)
    member.set_password(password)
    member.password_changed_at = timezone.now()
    member.save()
    record_event(Kind.MEMBER_CREATED, member=member, actor=actor)
    return member


def find_member(username):
    return User.objects.filter(username=normalize_username(username)).first()
