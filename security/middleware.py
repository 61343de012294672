from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.cache import add_never_cache_headers

from . import sessions

if TYPE_CHECKING:

    class EndedRequest(HttpRequest):
        """A request whose session the policy ended: the timer's status check reads why."""

        portal_session_ended: str | None

    class BackgroundView(Protocol):
        counts_as_activity: bool

    class LockableView(Protocol):
        allowed_while_locked: bool


_View = TypeVar("_View", bound=Callable[..., Any])


class NoStoreForMembersMiddleware:
    """A signed-in page is never kept by the browser, so Back after sign-out shows no member data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class SessionPolicyMiddleware:
    """Ends a signed-in session that is idle, too old, or ended elsewhere while this request ran;
    locks one reopened from outside the portal; otherwise records the request as activity.

    While locked, only the views marked @allowed_while_locked and public pages answer; every other
    request is sent to "Confirm it's you" unanswered, and none of them is activity.
    Not activity either: a view marked with @background_request (the timer's status check), and
    the page timer's own navigation to sign-in (it carries sessions.TIMER_MARKER).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
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
        if sessions.listing_ended(request):  # the one read of the listing: is it ended, is it locked
            logout(request)  # ended (and audited) by whoever ended it
            return self._signed_out(request, view_func, None)
        if not sessions.is_locked(request) and sessions.came_from_outside(request):
            sessions.lock_for_return(request)
        if sessions.is_locked(request):
            return self._locked(request, view_func)
        counts = getattr(view_func, "counts_as_activity", True) and sessions.TIMER_MARKER not in request.GET
        if counts and not sessions.touch(request, now):
            logout(request)  # ended (and audited) by whoever ended it
            return self._signed_out(request, view_func, None)
        return None

    def _locked(self, request: HttpRequest, view_func: Callable[..., Any]) -> HttpResponse | None:
        if getattr(view_func, "allowed_while_locked", False):
            return None
        reading = request.method in ("GET", "HEAD")
        if reading and not getattr(view_func, "login_required", True):
            return None  # a public page shows nothing of the member's
        confirm_url = resolve_url(settings.PORTAL_CONFIRM_URL)
        if reading:
            confirm_url = f"{confirm_url}?{urlencode({'next': request.get_full_path()})}"
        return redirect_to_confirm(confirm_url)

    def _signed_out(
        self, request: HttpRequest, view_func: Callable[..., Any], reason: str | None
    ) -> HttpResponse | None:
        cast("EndedRequest", request).portal_session_ended = reason  # the timer's status check passes it on
        if not getattr(view_func, "login_required", True):
            return None
        query = {"next": request.get_full_path()}
        if reason is not None:
            query["signed_out"] = reason
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}")


def redirect_to_confirm(url: str) -> HttpResponse:
    """303: a form sent while locked is answered with the confirm page, never sent again."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def allowed_while_locked(view_func: _View) -> _View:
    """Mark a view a locked session may still reach: confirming, signing out, the timer's status."""
    cast("LockableView", view_func).allowed_while_locked = True
    return view_func


def background_request(view_func: _View) -> _View:
    """Mark a view whose requests do not extend the session (they are not the member's doing)."""
    cast("BackgroundView", view_func).counts_as_activity = False
    return view_func


class SecurityHeadersMiddleware:
    """The headers Django has no setting for: what the page may use, and who may embed its resources."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PORTAL_PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
