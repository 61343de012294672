from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from security import hashers, throttle
from security.audit import Kind, record_rate_limited
from security.forms import CurrentPasswordMixin, NewPasswordForm, current_password_field
from security.lockout import verification

# The English text (tests and pages compare it); the form shows its translation.
INVALID_SIGN_IN = gettext_noop("The username or password is not correct. Check both and try again.")


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with one message for every failure and the per-address limit."""

    # Declared here because AuthenticationForm sets the limit without its validator, which would let a
    # megabyte "username" reach the lockout tables.
    username = UsernameField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=settings.PORTAL_PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(INVALID_SIGN_IN),
        # An inactive account reads like a wrong password, so it reveals nothing.
        "inactive": _(INVALID_SIGN_IN),
        "throttled": _(
            "There have been too many failed sign-ins from your network. Please wait a few minutes before trying again."
        ),
        "busy": _("The portal is busy checking other sign-ins right now. Please wait a moment and try again."),
    }

    def clean(self) -> dict[str, Any]:
        if self.request is None:
            return super().clean()
        try:
            place = hashers.QueuePlace()
        except hashers.HashQueueFull:
            # Refused before the address limit or the freeze is touched: this counts toward neither.
            raise forms.ValidationError(self.error_messages["busy"], code="busy") from None
        with place:
            return self._limited_clean()

    def _limited_clean(self) -> dict[str, Any]:
        request = cast(HttpRequest, self.request)  # clean() comes here only with a request
        if not throttle.reserve(request, throttle.SIGN_IN):
            record_rate_limited(
                Kind.SIGN_IN_REFUSED_ADDRESS, request=request, username=self.cleaned_data.get("username", "")
            )
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        # On success the slot is released by login(), or by the view when a second factor follows.
        try:
            with verification(request, release_on_success=False):
                cleaned = super().clean()
        except ValidationError:
            throttle.check_failed(request, throttle.SIGN_IN)  # a wrong password, or a frozen account's
            raise
        throttle.check_passed(request, throttle.SIGN_IN)
        return cleaned


class ChangePasswordForm(CurrentPasswordMixin, NewPasswordForm):
    """The member's own password change: the current password again, then the new one twice."""

    # Always: the new password is the credential itself, so the old one is proved each time.
    always_ask_password = True
    current_password = current_password_field()
    field_order = ["current_password", "new_password1", "new_password2"]

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, request.user, *args, **kwargs)
