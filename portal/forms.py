import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.timezones import time_zone_choices
from security.forms import CurrentPasswordMixin, current_password_field

from .models import Claim, ContactDetails

US_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
]  # fmt: skip


# A field without a max_length of its own shows no value longer than this back in the page.
ECHO_LIMIT = 1000
# An error message that quotes what was sent (an invalid choice) is cut to this length.
ERROR_ECHO_LIMIT = 300


class NoOversizeEchoBoundField(forms.BoundField):
    """A field sent with a value too long to be valid is shown empty: the page never carries it back."""

    def value(self):
        value = super().value()
        limit = getattr(self.field, "max_length", None) or ECHO_LIMIT
        if isinstance(value, str) and len(value) > limit:
            return None
        return value

    @property
    def errors(self):
        errors = super().errors
        if all(len(message) <= ERROR_ECHO_LIMIT for message in errors):
            return errors
        limit = ERROR_ECHO_LIMIT
        shortened = [f"{message[:limit]}…" if len(message) > limit else message for message in errors]
        return self.form.error_class(shortened, renderer=self.form.renderer)


class ErrorsDescribedMixin:
    """Point each invalid field at its error message (aria-describedby), so a screen reader reads it."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                described = [f"{self[name].auto_id}_error"]
                if self.fields[name].help_text:
                    described.append(f"{self[name].auto_id}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(described)


class ClaimFilterForm(ErrorsDescribedMixin, forms.Form):
    """The claims list's filters; every one is optional."""

    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Claim.Status.choices]
    )
    provider = forms.TypedChoiceField(label=_("Provider"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", _("Any provider")), *providers]

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("Choose a date on or after the “From” date."))
        return cleaned

    def filters(self):
        """The filters to apply: none while the form has errors, so the list never looks wrongly empty."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "status": data["status"],
            "provider_id": data["provider"],
        }


# ASCII digits only: "٣" and "３" are digits to Python's \d, but not to the mail or the phone system.
phone_validator = RegexValidator(
    r"\A\+?1?[ .-]?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}\Z",
    _("Enter a 10-digit phone number, for example 555-201-4477."),
)
zip_validator = RegexValidator(r"\A[0-9]{5}(-[0-9]{4})?\Z", _("Enter a 5-digit ZIP code, or ZIP+4 such as 12345-6789."))

# Controls, format characters (bidi overrides and isolates, zero-width spaces, the BOM), line and
# paragraph separators, private-use and unassigned code points: invisible, or able to reorder text.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def only_ascii_digits(value):
    """A US address is read by the mail: its numbers in 0-9, never "٣" or "３" (still digits to Python)."""
    if any(character.isdigit() and not "0" <= character <= "9" for character in value):
        raise ValidationError(_("Write the numbers with the digits 0 to 9."), code="non_ascii_digits")


def no_hidden_characters(value):
    if any(unicodedata.category(character) in HIDDEN_CATEGORIES for character in value):
        raise ValidationError(
            _(
                "This contains hidden characters, such as text-direction marks, often pasted in by accident. "
                "Type it in again."
            ),
            code="hidden_characters",
        )


class ContactDetailsForm(ErrorsDescribedMixin, forms.ModelForm):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Choose a state")), *((s, s) for s in US_STATES)]
    )

    class Meta:
        model = ContactDetails
        fields = ["phone", "address_line1", "address_line2", "city", "state", "postal_code"]
        labels = {
            "phone": _("Phone number"),
            "address_line1": _("Street address"),
            "address_line2": _("Apartment, suite, etc."),
            "city": _("City"),
            "postal_code": _("ZIP code"),
        }
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phone", "address_line1", "address_line2", "city", "postal_code"):
            self.fields[name].validators.append(no_hidden_characters)
        for name in ("address_line1", "address_line2", "city"):
            self.fields[name].validators.append(only_ascii_digits)
        self.fields["phone"].validators.append(phone_validator)
        self.fields["postal_code"].validators.append(zip_validator)
        self.fields["state"].widget.attrs["autocomplete"] = "address-level1"
        for name in self.fields:
            self.fields[name].widget.attrs.setdefault("class", "input")

    def clean(self):
        cleaned = super().clean()
        address = ["address_line1", "city", "state", "postal_code"]
        given = [name for name in address if cleaned.get(name)]
        if given and len(given) != len(address):
            for name in address:
                if name not in given and name not in self.errors:
                    self.add_error(name, _("Fill this in to complete your mailing address."))
        return cleaned


class ChangeEmailForm(ErrorsDescribedMixin, CurrentPasswordMixin, forms.Form):
    """A new email address, after the current password (a wrong one counts toward the freeze)."""

    email = forms.EmailField(
        label=_("New email address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    current_password = current_password_field()

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email.lower() == (self.member.email or "").lower():
            raise forms.ValidationError(_("That is already your email address."), code="unchanged")
        return email


class TimeZoneForm(ErrorsDescribedMixin, forms.Form):
    """The zone the portal's times are shown in; the US zones first, then every other one."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        error_messages={"invalid_choice": _("Choose a time zone from the list.")},
        help_text=_("Dates and times on the portal and in our emails are shown in this time zone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields["time_zone"].widget.attrs["class"] = "input"
