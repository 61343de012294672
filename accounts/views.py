from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from security import reset, sessions, twofactor
from security.audit import Kind, record_event
from security.browsers import supported_browser_required
from security.forms import ChooseQuestionsForm
from security.lockout import failure_count, release_verification
from security.middleware import allowed_while_locked
from security.request_checks import safe_next_path

from . import services
from .forms import ChangePasswordForm, SignInForm

if TYPE_CHECKING:
    from django_otp.models import Device

    from .models import User

    class MemberRequest(HttpRequest):
        """A request to a page behind sign-in (LoginRequiredMiddleware): its user is a member."""

        user: User

    class LockoutPage(HttpResponse):
        """The frozen-account page, marked so that axes' own lockout answer passes it through."""

        is_lockout_page: bool


SIGNED_OUT_REASONS = frozenset(sessions.END_KINDS)
TRIES_LEFT_FROM_FAILURE = 3  # warn from here on, before the freeze


def _safe_next(request: HttpRequest) -> str:
    """The page to return to after sign-in: a path on this site ("/..."), or "" for anything else."""
    return safe_next_path(request, request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, "")))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@login_not_required
@supported_browser_required
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated and sessions.TIMER_MARKER in request.GET:
        # The page's timer gave up on this session: it ends here, never sent back to `next`.
        sessions.end_for_timer(request)
    elif request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = form.get_user()
        if twofactor.has_two_factor(member):
            # Not signed in yet: the session only names who is signing in until the code passes.
            release_verification(request)
            twofactor.begin_pending(request, member, next_url)
            return redirect("accounts:verify_code")
        # Made first, so nothing can fail between the sign-in's commit and its answer.
        response = HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        complete_sign_in(request, member)
        return response
    if getattr(request, "axes_locked_out", False):
        return frozen_response(request, credentials={"username": request.POST.get("username", "")})
    status = 429 if form.has_error("__all__", "throttled") or form.has_error("__all__", "busy") else 200
    context = {"form": form, "next": next_url, "signed_out": request.GET.get("signed_out")}
    if request.method == "POST" and status == 200 and "username" in form.cleaned_data:
        # The cleaned name only: one the form refused (a NUL, say) is counted nowhere, so it has no tries.
        context["tries_left"] = tries_left(form.cleaned_data["username"])
    if context["signed_out"] not in SIGNED_OUT_REASONS:
        context["signed_out"] = None
    return render(request, "accounts/login.html", context, status=status)


def tries_left(username: str) -> int | None:
    """Attempts left before the freeze, from the third failure on; None before that.

    Counted under the lockout key, the account's or an unknown name's stand-in: the same for both.
    """
    if not username.strip():
        return None
    limit = settings.PORTAL_FREEZE_AFTER_FAILURES
    failures = failure_count(username)
    return limit - failures if TRIES_LEFT_FROM_FAILURE <= failures < limit else None


def complete_sign_in(request: HttpRequest, member: "User", device: "Device | None" = None) -> None:
    """Sign the member in (a new session key) and record it, in one transaction."""
    previous_sign_in = member.last_login
    with transaction.atomic():
        login(request, member)
        if device is not None:
            otp_login(request, device)
        sessions.start(request, member)
        if previous_sign_in:
            request.session["previous_sign_in_at"] = previous_sign_in.isoformat()
        record_event(Kind.SIGN_IN_SUCCEEDED, request=request, member=member)
        request.session.save()  # the session's row commits with the sign-in and its event


def frozen_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page, saying plainly that the account is frozen.

    While every check the limit allows is already under way (a burst of guesses), the account is
    not frozen (yet): the page says to try again in a moment instead.
    """
    if getattr(original_response, "is_lockout_page", False):
        return cast(HttpResponse, original_response)  # the view already rendered it
    if getattr(request, "portal_slots_busy", False):
        # The form again, to retry in a moment.
        form = SignInForm(request, initial={"username": (credentials or {}).get("username", "")})
        context = {"busy": True, "form": form, "next": _safe_next(request)}
        response = render(request, "accounts/login.html", context, status=429)
    else:
        typed = (credentials or {}).get("username") or twofactor.pending_username(request)
        response = render(request, "accounts/login.html", {"frozen": True}, status=settings.AXES_HTTP_RESPONSE_CODE)
        if typed:
            reset.offer_username(response, str(typed))  # the page's reset link brings the name along
    cast("LockoutPage", response).is_lockout_page = True
    return response


@require_POST
@csrf_protect
@login_not_required
@allowed_while_locked
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        with transaction.atomic():
            record_event(Kind.SIGNED_OUT, request=request, member=request.user)
            sessions.signed_out(request)
            logout(request)
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    # Nothing of the member's stays in this browser: cached pages, cookies, storage.
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@never_cache
@login_not_required
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signed_out.html")


@sensitive_post_parameters()
@csrf_protect
@never_cache
def choose_questions(request: "MemberRequest") -> HttpResponse:
    """First sign-in (or when support asks): choose security questions. Later: change them."""
    if request.user.is_staff:
        # A weak knowledge factor must not stand in for a staff account's strong one.
        return render(request, "accounts/questions_not_for_staff.html", status=403)
    form = ChooseQuestionsForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        first_time = request.user.security_questions_set_at is None
        services.choose_security_questions(member=request.user, choices=form.choices(), request=request)
        messages.success(request, _("Your security questions are saved."))
        return redirect("home" if first_time else "accounts:security")
    required = request.user.needs_security_questions
    return render(request, "accounts/choose_questions.html", {"form": form, "required": required}, status=200)


@sensitive_post_parameters()
@csrf_protect
@never_cache
def change_password(request: "MemberRequest") -> HttpResponse:
    form = ChangePasswordForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(member=request.user, form=form, request=request)
        messages.success(request, _("Your password is changed. Other sessions have been signed out."))
        return redirect("accounts:security")
    return render(request, "accounts/change_password.html", {"form": form})


@never_cache
def security_settings(request: "MemberRequest") -> HttpResponse:
    return render(request, "accounts/security.html", {"password_age_days": services.password_age_days(request.user)})
