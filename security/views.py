"""The self-service password reset tool, at /accounts/password-reset/.

Every step reads the same for a username that exists and one that does not: the same pages,
status codes and work (see security.questions.answers_match), so the tool reveals no accounts.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from . import passkeys, reset, twofactor
from .audit import Kind, record_rate_limited
from .browsers import supported_browser_required
from .forms import BUSY, CodeForm, NewPasswordForm, ResetAnswersForm, ResetUsernameForm
from .questions import answers_match, questions_for
from .usernames import find_account

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it

# A step's view: the request and this browser's live progress for that step.
StepView = Callable[[HttpRequest, reset.ResetState], HttpResponse]

ANSWERS_REFUSED = gettext_lazy("Those answers do not match our records. Check them and try again.")
EXPIRED = gettext_lazy("This password reset has expired or was already used. Please start again.")


def _expired(request: HttpRequest) -> HttpResponse:
    reset.finish(request)
    form = ResetUsernameForm()
    return render(request, "security/reset_start.html", {"form": form, "expired": EXPIRED}, status=400)


def reset_step(step: str) -> Callable[[StepView], Callable[[HttpRequest], HttpResponse]]:
    """The view of one step: it runs only with this browser's live progress for that step."""

    def decorate(view: StepView) -> Callable[[HttpRequest], HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            try:
                state = reset.current(request, step, request.POST.get("state") if request.method == "POST" else None)
            except reset.ResetExpired:
                return _expired(request)
            return view(request, state)

        return wrapper

    return decorate


def _locked(request: HttpRequest, state: reset.ResetState) -> HttpResponse:
    held = reset.is_held(state.username)
    context = {"username": state.username, "held": held, "until": None if held else reset.locked_until(state.username)}
    return render(request, "security/reset_locked.html", context, status=429)


def _throttled(request: HttpRequest) -> HttpResponse:
    return render(request, "security/reset_throttled.html", status=429)


def _eligible(member: "Member | None") -> "Member | None":
    """The member the tool may reset, or None: unknown, inactive and staff accounts all read alike
    (staff have no security questions; they recover through an operator)."""
    if member is None or not member.is_active or member.is_staff:
        return None
    return member


@csrf_protect
@never_cache
@login_not_required
@supported_browser_required
def start(request: HttpRequest) -> HttpResponse:
    # Prefilled only with the name this browser's frozen page offered: never from the address.
    form = ResetUsernameForm(request.POST or None, initial={"username": reset.offered_username(request)})
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        member = find_account(username)
        record_rate_limited(Kind.RESET_STARTED, request=request, username=username, member=member)
        reset.start(request, username)
        response = redirect("password_reset:answers")
        reset.forget_offered_username(response)
        return response
    return render(request, "security/reset_start.html", {"form": form})


@sensitive_post_parameters()
@csrf_protect
@never_cache
@login_not_required
@supported_browser_required
@reset_step("answers")
def answers(request: HttpRequest, state: reset.ResetState) -> HttpResponse:
    member = find_account(state.username)
    eligible = _eligible(member)
    form = ResetAnswersForm(questions_for(eligible, state.username), request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        outcome = reset.check_answers(
            request,
            username=state.username,
            member=member,
            answers_match=lambda: answers_match(eligible, form.answers()),
        )
        if outcome is reset.Outcome.LOCKED:
            return _locked(request, state)
        if outcome is reset.Outcome.THROTTLED:
            return _throttled(request)
        if outcome is reset.Outcome.PASSED:
            if twofactor.has_two_factor(eligible):
                reset.advance(request, state, "second_factor")
                return redirect("password_reset:second_factor")
            reset.advance(request, state, "password")
            return redirect("password_reset:password")
        error = ANSWERS_REFUSED
        form = ResetAnswersForm(questions_for(eligible, state.username))  # answers are never re-shown
    elif request.method == "GET" and reset.is_locked(state.username):
        return _locked(request, state)
    return render(request, "security/reset_answers.html", {"form": form, "state": state, "error": error})


@sensitive_post_parameters()
@csrf_protect
@never_cache
@login_not_required
@supported_browser_required
@reset_step("second_factor")
def second_factor(request: HttpRequest, state: reset.ResetState) -> HttpResponse:
    """A reset must not bypass two-factor sign-in: an enrolled member gives a code (or a backup code)."""
    member = _eligible(find_account(state.username))
    if member is None:  # cannot happen: such names never pass the answers step
        return _expired(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = reset.check_code(
            request,
            username=state.username,
            member=member,
            code_matches=lambda: twofactor.match_code(member, form.cleaned_data["code"]) is not None,
        )
        if outcome is reset.Outcome.LOCKED:
            return _locked(request, state)
        if outcome is reset.Outcome.THROTTLED:
            return _throttled(request)
        if outcome is reset.Outcome.PASSED:
            reset.advance(request, state, "password")
            return redirect("password_reset:password")
        busy = outcome is reset.Outcome.BUSY
        context = {"form": CodeForm(), "state": state, "error": BUSY if busy else _code_refused(member, form)}
        return render(request, "security/reset_code.html", {**context, **_ways_in(member)}, status=429 if busy else 200)
    return render(request, "security/reset_code.html", {"form": form, "state": state, **_ways_in(member)})


def _ways_in(member: "Member") -> dict[str, bool]:
    """A passkey, codes (app or backup), or both: what this member's reset can take as its second factor."""
    return {
        "has_passkey": passkeys.has_passkey(member),
        "codes": twofactor.has_app(member) or twofactor.backup_codes_left(member) > 0,
    }


def _code_refused(member: "Member", form: CodeForm) -> str:
    if twofactor.code_just_used(member, form.cleaned_data["code"]):
        return str(twofactor.CODE_JUST_USED)
    return gettext("That code is not correct.")


@sensitive_post_parameters()
@csrf_protect
@never_cache
@login_not_required
@supported_browser_required
@reset_step("password")
def password(request: HttpRequest, state: reset.ResetState) -> HttpResponse:
    member = _eligible(find_account(state.username))
    if member is None:  # cannot happen: such names never pass the answers step
        return _expired(request)
    form = NewPasswordForm(member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        reset.set_new_password(request, member=member, form=form)
        reset.finish(request)
        return redirect("password_reset:done")
    return render(request, "security/reset_password.html", {"form": form, "state": state})


@never_cache
@login_not_required
def done(request: HttpRequest) -> HttpResponse:
    return render(request, "security/reset_done.html")
