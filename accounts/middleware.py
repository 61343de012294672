"""Account set-up steps a signed-in member finishes before any other page."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from security import passkeys, twofactor

from .timezones import is_time_zone


class AccountSetupMiddleware:
    """Finish setting up the account before anything else: security questions, then two-factor.

    A member without questions (or asked by support to renew them) chooses them first; staff, and
    every member when PORTAL_REQUIRE_TWO_FACTOR is on, then turn on two-factor sign-in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated or not getattr(view_func, "login_required", True):
            return None
        step = self._pending_step(request)
        if step is not None and request.path not in step[1]:
            return redirect(step[0])
        return None

    def _pending_step(self, request: Any) -> tuple[str, set[str]] | None:
        user = request.user
        sign_out = reverse("accounts:logout")
        if user.needs_security_questions:
            return "accounts:choose_questions", {reverse("accounts:choose_questions"), sign_out}
        if user.must_change_password:
            return "accounts:change_password", {reverse("accounts:change_password"), sign_out}
        if not user.is_verified() and twofactor.must_enroll(user):
            return "accounts:two_factor_setup", {reverse("accounts:two_factor_setup"), sign_out}
        if twofactor.passkey_required(user) and not passkeys.is_passkey_session(request):
            # Staff, when the Security role requires passkeys: add one, or use the one they have.
            return "accounts:passkeys", {*_passkey_paths(), sign_out}
        return None


def _passkey_paths() -> set[str]:
    return {
        reverse(name)
        for name in ("accounts:passkeys", "accounts:passkey_add_options", "accounts:passkey_add")
        + ("accounts:passkey_verify_options", "accounts:passkey_verify")
    }


class MemberTimeZoneMiddleware:
    """Show times in the signed-in member's own time zone; UTC while none is known."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = getattr(request.user, "time_zone", "") if request.user.is_authenticated else ""
        if is_time_zone(name):
            timezone.activate(name)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # A worker thread serves other members next: never leave this member's zone behind.
            timezone.deactivate()


class MemberLanguageMiddleware:
    """Pages in the signed-in member's saved language; LocaleMiddleware (cookie, then Accept-Language,
    then English) decides for everyone else and for a member who never chose one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        saved = getattr(request.user, "language", "") if request.user.is_authenticated else ""
        if saved in dict(settings.LANGUAGES):
            translation.activate(saved)
            request.LANGUAGE_CODE = saved
        # No deactivate here: LocaleMiddleware, outside this one, names the language in Content-Language.
        return self.get_response(request)
