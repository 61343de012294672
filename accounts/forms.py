from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UsernameField

from security.audit import Kind, record_event
from security.lockout import verification
from security.throttle import address_is_throttled

INVALID_SIGN_IN = "The username or password is not correct. Check both and try again."


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with one message for every failure and the per-address limit."""

    # Declared here because AuthenticationForm sets the limit without its validator, which would let a
    # megabyte "username" reach the lockout tables.
    username = UsernameField(
        label="Username",
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
        label="Password",
        strip=False,
        max_length=settings.PORTAL_PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": INVALID_SIGN_IN,
        # An inactive account reads like a wrong password, so it reveals nothing.
        "inactive": INVALID_SIGN_IN,
        "throttled": (
            "There have been too many failed sign-ins from your network. Please wait a few minutes before trying again."
        ),
    }

    def clean(self):
        if self.request is not None and address_is_throttled(self.request):
            record_event(
                Kind.SIGN_IN_REFUSED_ADDRESS,
                request=self.request,
                username=self.cleaned_data.get("username", ""),
            )
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        # On success the slot is released by login(), or by the view when a second factor follows.
        with verification(self.request, release_on_success=False):
            return super().clean()
