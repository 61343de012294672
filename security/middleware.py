from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from accounts import twofactor


class NoStoreForMembersMiddleware:
    """A signed-in page is never kept by the browser, so Back after sign-out shows no member data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class AccountSetupMiddleware:
    """Finish setting up the account before anything else: security questions, then two-factor.

    A member without questions (or asked by support to renew them) chooses them first; staff, and
    every member when PORTAL_REQUIRE_TWO_FACTOR is on, then turn on two-factor sign-in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            step = self._pending_step(request)
            if step is not None and request.path not in step[1]:
                return redirect(step[0])
        return self.get_response(request)

    def _pending_step(self, request):
        user = request.user
        sign_out = reverse("accounts:logout")
        if user.needs_security_questions:
            return "accounts:choose_questions", {reverse("accounts:choose_questions"), sign_out}
        if not user.is_verified() and twofactor.must_enroll(user):
            return "accounts:two_factor_setup", {reverse("accounts:two_factor_setup"), sign_out}
        return None
