from django import forms

from security.forms import CurrentPasswordMixin, current_password_field

from . import twofactor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app, or a backup code",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class PasswordAgainForm(CurrentPasswordMixin, forms.Form):
    current_password = current_password_field()

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.member = request.user
        super().__init__(*args, **kwargs)


class ConfirmDeviceForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code your app shows now",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, device, *args, **kwargs):
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not self.device.verify_token(code):
            raise forms.ValidationError("That code does not match. Check the time on your phone and try again.")
        return code


class RemoveTwoFactorForm(PasswordAgainForm):
    code = forms.CharField(
        label="A current code from your app, or a backup code",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self):
        cleaned = super().clean()
        password_ok = "current_password" in cleaned
        if password_ok and cleaned.get("code") and twofactor.match_code(self.member, cleaned["code"]) is None:
            self.add_error("code", "That code is not correct.")
        return cleaned
