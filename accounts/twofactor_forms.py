"""The forms of the member's own two-factor pages: turning it on, new backup codes, turning it off."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import passkeys, twofactor
from security.forms import BUSY, FROZEN_NOW, CurrentPasswordMixin, current_password_field
from security.lockout import CodeCheck, counted_code_check


class PasswordAgainForm(CurrentPasswordMixin, forms.Form):
    current_password = current_password_field()


class ConfirmDeviceForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("The 6-digit code your app shows now"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, device: TOTPDevice, *args: Any, **kwargs: Any) -> None:
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not self.device.verify_token(code):
            raise forms.ValidationError(_("That code does not match. Check the time on your phone and try again."))
        return code


class RemoveTwoFactorForm(PasswordAgainForm):
    # Always: it takes away the account's second factor, which a session left open must not do.
    always_ask_password = True
    code = forms.CharField(
        label=gettext_lazy("A current code from your app, or a backup code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean() returns cleaned_data
        if "current_password" not in cleaned or not cleaned.get("code"):
            return cleaned
        # A wrong code here is a guess at the second factor like one at sign-in: counted toward the freeze.
        outcome = counted_code_check(
            self.request,
            member=self.member,
            check=lambda: twofactor.match_code(self.member, cleaned["code"]) is not None,
            door="turning two-factor sign-in off",
        )
        if outcome is CodeCheck.BUSY:
            self.add_error("code", BUSY)
        elif outcome is CodeCheck.REFUSED_FROZEN or getattr(self.request, "axes_locked_out", False):
            self.add_error("code", FROZEN_NOW)
        elif outcome is CodeCheck.FAILED and twofactor.code_just_used(self.member, cleaned["code"]):
            self.add_error("code", str(twofactor.CODE_JUST_USED))
        elif outcome is CodeCheck.FAILED:
            self.add_error("code", _("That code is not correct."))
        return cleaned


class RemovePasskeyForm(PasswordAgainForm):
    # Always: it takes a way into the account away, which a session left open must not do.
    always_ask_password = True


class RenamePasskeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=passkeys.NAME_MAX_LENGTH, strip=True)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name or "\x00" in name:
            raise forms.ValidationError(_("Give the passkey a name."))
        return name
