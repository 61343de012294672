from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from security.usernames import normalize_username

from .timezones import validate_time_zone


class MemberManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(**{self.model.USERNAME_FIELD: normalize_username(username)})


class User(AbstractUser):
    """A member of the portal, or a support staff member (is_staff)."""

    # ASCII only, so no account can be registered under a look-alike of another's name.
    username_validator = ASCIIUsernameValidator()  # type: ignore[assignment]  # django-stubs allows only the default
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_("150 characters or fewer: letters, digits and @ . + - _ only."),
        validators=[username_validator],
        error_messages={"unique": _("A member with that username already exists.")},
    )
    email = models.EmailField(_("email address"))
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    security_questions_set_at = models.DateTimeField(_("security questions chosen"), null=True, blank=True)
    # Set by support staff to have the member choose new questions at the next sign-in.
    must_choose_security_questions = models.BooleanField(_("must choose new security questions"), default=False)
    # Set by support staff to have the member change the password at the next sign-in.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # An IANA name ("America/Chicago"); blank until the member or their browser chooses one (then UTC).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    # A new address waits here until the member opens the link sent to it.
    pending_email = models.EmailField(_("email address waiting for confirmation"), blank=True)
    pending_email_sent_at = models.DateTimeField(null=True, blank=True)
    # A code from settings.LANGUAGES ("es"); blank until the member chooses one (then the browser's).
    language = models.CharField(_("language"), max_length=16, blank=True)

    objects: ClassVar[MemberManager] = MemberManager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(Lower("email"), name="member_email_lower"),
            # The support site's "staff" filter, ordered by username, without reading every member.
            models.Index(fields=["username"], condition=models.Q(is_staff=True), name="member_staff_username"),
        ]
        permissions = [
            ("freeze_member", "Can freeze a member's account"),
            ("unfreeze_member", "Can unfreeze a member's account"),
            ("end_member_sessions", "Can end a member's sessions"),
            ("require_new_questions", "Can require new security questions"),
            ("require_password_change", "Can require a password change"),
            ("manage_staff_accounts", "Can unfreeze, unlock and end the sessions of staff accounts"),
        ]

    @property
    def needs_security_questions(self) -> bool:
        return not self.is_staff and (self.security_questions_set_at is None or self.must_choose_security_questions)

    @classmethod
    def normalize_username(cls, username: str) -> str:
        return normalize_username(username)
