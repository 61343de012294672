from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy, ngettext

from . import sessions
from .lockout import DOOR_KEY, verification
from .questions import QUESTION_COUNT, QUESTIONS, normalize_answer, question_text
from .usernames import normalize_username

# Generic only in django-stubs: Django's own SetPasswordForm takes no type argument at run time.
if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it

    _SetPasswordForm = SetPasswordForm[Member]
else:
    _SetPasswordForm = SetPasswordForm

ANSWER_MAX_LENGTH = 200


class CurrentPasswordMixin:
    """A form that first asks the signed-in member's current password again.

    The check goes through authenticate(), so wrong guesses count toward the same freeze as
    sign-in: a stolen session cannot be used to guess the password here. Within the
    recent-authentication window (sessions.recently_authenticated) the field is left out, unless
    the form sets always_ask_password.
    """

    cleaned_data: dict[str, Any]  # the form's, which it is mixed into
    fields: dict[str, forms.Field]
    always_ask_password = False
    door = ""  # named in the audit log when a wrong password is counted here

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.member = cast("Member", request.user)  # pages behind sign-in only
        super().__init__(*args, **kwargs)
        if not self.always_ask_password and sessions.recently_authenticated(request):
            del self.fields["current_password"]

    @property
    def asks_password(self) -> bool:
        return "current_password" in self.fields

    def clean_current_password(self) -> str:
        password: str = self.cleaned_data["current_password"]
        door = {DOOR_KEY: self.door} if self.door else {}
        with verification(self.request):
            user = authenticate(self.request, username=self.member.get_username(), password=password, **door)
        if user is None or user.pk != self.member.pk:
            refusal_of_the_lockout(self.request)
            raise forms.ValidationError(gettext("That is not your current password."), code="password_incorrect")
        return password


FROZEN_NOW = gettext_lazy(
    "Your account is now frozen after too many failed attempts, and every session has been signed out. "
    "Reset your password with your security questions, or call Member Support."
)
BUSY = gettext_lazy("Several checks for this account are under way right now. Please wait a moment and try again.")


def refusal_of_the_lockout(request: HttpRequest) -> None:
    """Raise the freeze's own message when the freeze (not a wrong answer) refused the check."""
    if getattr(request, "portal_slots_busy", False):
        raise forms.ValidationError(BUSY, code="busy")
    if getattr(request, "axes_locked_out", False):
        raise forms.ValidationError(FROZEN_NOW, code="frozen")


def current_password_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Your current password"),
        strip=False,
        max_length=settings.PORTAL_PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AnswerInput(forms.TextInput):
    """A text box the member can read while typing, whose value is never written back into a page."""

    def format_value(self, value: Any) -> None:
        return None


def answer_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=ANSWER_MAX_LENGTH,
        widget=AnswerInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ChooseQuestionsForm(CurrentPasswordMixin, forms.Form):
    """Three different questions from the list, each with an answer, after the password again."""

    current_password = current_password_field()

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        choices = [("", gettext("Choose a question")), *((key, question_text(key)) for key in QUESTIONS)]
        for n in range(1, QUESTION_COUNT + 1):
            label = gettext("Question %(number)d") % {"number": n}
            self.fields[f"question_{n}"] = forms.ChoiceField(label=label, choices=choices)
            self.fields[f"answer_{n}"] = answer_field(gettext("Answer to question %(number)d") % {"number": n})

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"question_{n}"], self[f"answer_{n}"]) for n in range(1, QUESTION_COUNT + 1)]

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean() returns cleaned_data
        questions = [cleaned.get(f"question_{n}") for n in range(1, QUESTION_COUNT + 1)]
        if all(questions) and len(set(questions)) != QUESTION_COUNT:
            raise forms.ValidationError(gettext("Choose three different questions."), code="duplicate_question")
        username = normalize_answer(self.member.get_username())
        password = normalize_answer(cleaned.get("current_password") or "")
        seen = set()
        for n in range(1, QUESTION_COUNT + 1):
            answer = cleaned.get(f"answer_{n}")
            if answer is None:
                continue
            normalized = normalize_answer(answer)
            if len(normalized.replace(" ", "")) < settings.PORTAL_ANSWER_MIN_LENGTH:
                self.add_error(
                    f"answer_{n}",
                    ngettext(
                        "Give an answer of at least %(count)d letter or digit.",
                        "Give an answer of at least %(count)d letters or digits.",
                        settings.PORTAL_ANSWER_MIN_LENGTH,
                    )
                    % {"count": settings.PORTAL_ANSWER_MIN_LENGTH},
                )
            elif normalized in seen:
                self.add_error(f"answer_{n}", gettext("Give a different answer to each question."))
            elif username and username in normalized:
                self.add_error(f"answer_{n}", gettext("An answer must not contain your username."))
            elif password and password in normalized:
                self.add_error(f"answer_{n}", gettext("An answer must not contain your password."))
            seen.add(normalized)
        return cleaned

    def choices(self) -> list[tuple[str, str]]:
        return [
            (self.cleaned_data[f"question_{n}"], self.cleaned_data[f"answer_{n}"]) for n in range(1, QUESTION_COUNT + 1)
        ]


class CodeForm(forms.Form):
    """The second factor, at sign-in and in the reset tool: an authenticator app's code or a backup code."""

    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app, or a backup code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class ResetUsernameForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )

    def clean_username(self) -> str:
        return normalize_username(self.cleaned_data["username"])


class ResetAnswersForm(forms.Form):
    """The questions asked for one username, each answer labelled with its question."""

    def __init__(self, questions: Iterable[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n, key in enumerate(questions, start=1):
            self.fields[f"answer_{n}"] = answer_field(question_text(key))

    def answers(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.fields]


class NewPasswordForm(_SetPasswordForm):
    """Django's set-password form (new password twice, all validators), with our length cap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("new_password1", "new_password2"):
            cast(forms.CharField, self.fields[name]).max_length = settings.PORTAL_PASSWORD_MAX_LENGTH
            self.fields[name].validators.append(MaxLengthValidator(settings.PORTAL_PASSWORD_MAX_LENGTH))


class ConfirmItsYouForm(CurrentPasswordMixin, forms.Form):
    """The password only, to unlock a session reopened from outside the portal."""

    always_ask_password = True  # it is the confirmation itself
    door = "confirm it's you"
    current_password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        max_length=settings.PORTAL_PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
