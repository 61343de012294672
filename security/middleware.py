from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers


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


class SecurityQuestionsRequiredMiddleware:
    """A member without security questions (or asked by support to renew them) chooses them first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.needs_security_questions:
            allowed = {reverse("accounts:choose_questions"), reverse("accounts:logout")}
            if request.path not in allowed:
                return redirect("accounts:choose_questions")
        return self.get_response(request)
