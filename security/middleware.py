from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.utils.cache import add_never_cache_headers

from . import sessions


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


class SessionPolicyMiddleware:
    """Ends a signed-in session that is idle, too old, reopened from outside the portal, or ended
    elsewhere while this request ran; otherwise records the request as activity.

    Not activity: a view marked with @background_request (the timer's status check), and the
    page timer's own navigation to sign-in (it carries sessions.TIMER_MARKER).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        now = sessions.now()
        reason = sessions.expiry_reason(request, now)
        if reason is not None:
            sessions.end_current(request, reason)
            return self._signed_out(request, view_func, reason)
        if not sessions.is_listed(request):
            sessions.end_unlisted(request)
            return self._signed_out(request, view_func, None)
        counts = getattr(view_func, "counts_as_activity", True) and sessions.TIMER_MARKER not in request.GET
        if counts and not sessions.touch(request, now):
            logout(request)  # ended (and audited) by whoever ended it
            return self._signed_out(request, view_func, None)
        return None

    def _signed_out(self, request, view_func, reason):
        request.portal_session_ended = reason  # the timer's status check passes it on
        if not getattr(view_func, "login_required", True):
            return None
        query = {"next": request.get_full_path()}
        if reason is not None:
            query["signed_out"] = reason
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}")


def background_request(view_func):
    """Mark a view whose requests do not extend the session (they are not the member's doing)."""
    view_func.counts_as_activity = False
    return view_func


class SecurityHeadersMiddleware:
    """The headers Django has no setting for: what the page may use, and who may embed its resources."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PORTAL_PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
