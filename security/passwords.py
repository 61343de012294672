"""Password rules beyond Django's own validators."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from .models import PasswordHistory


class NoReuseValidator:
    """Refuse any of the member's last PORTAL_PASSWORD_HISTORY passwords."""

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        recent = PasswordHistory.objects.filter(member=user)[: settings.PORTAL_PASSWORD_HISTORY]
        # The current password counts too, even when it predates the history.
        hashes = {user.password, *(row.password_hash for row in recent)}
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                "Choose a password you have not used recently (one of your last %(count)d).",
                code="password_reused",
                params={"count": settings.PORTAL_PASSWORD_HISTORY},
            )

    def password_changed(self, password, user=None):
        # Django calls this once the new password is saved; user.password is already its hash.
        if user is None or user.pk is None:
            return
        PasswordHistory.objects.create(member=user, password_hash=user.password)
        stale = PasswordHistory.objects.filter(member=user).values_list("pk", flat=True)[
            settings.PORTAL_PASSWORD_HISTORY :
        ]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self):
        return f"Your password cannot be one of your last {settings.PORTAL_PASSWORD_HISTORY} passwords."
