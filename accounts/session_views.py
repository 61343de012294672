"""The member's view of their sessions: the idle timer's endpoints, sign-in activity, active sessions."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from security import sessions
from security.clients import approximate_place, describe_browser
from security.middleware import allowed_while_locked, background_request
from security.models import SecurityEvent
from security.request_checks import safe_next_path

if TYPE_CHECKING:
    from .views import MemberRequest

Kind = SecurityEvent.Kind
ACTIVITY_KINDS = [
    Kind.SIGN_IN_SUCCEEDED,
    *SecurityEvent.FAILED_SIGN_IN_KINDS,
    Kind.ACCOUNT_FROZEN,
    Kind.ACCOUNT_UNFROZEN,
]


@require_safe
@never_cache
@login_not_required
@background_request
@allowed_while_locked
def session_status(request: HttpRequest) -> JsonResponse:
    """For the page's timer: how long until this session ends (it ends here once that is over).
    Checking does not extend it."""
    return _status(request)


def _status(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        ended = getattr(request, "portal_session_ended", None)  # ended by this very request, and why
        return JsonResponse({"signed_in": False, "signed_out": ended} if ended else {"signed_in": False})
    seconds_left = sessions.seconds_left(request, sessions.now())
    status: dict[str, Any] = {
        "signed_in": True,
        "seconds_left": seconds_left,
        "warning_seconds": settings.PORTAL_IDLE_WARNING_SECONDS,
    }
    if sessions.is_locked(request):
        # Reopened from outside: the idle limit runs on, and pages wait for "Confirm it's you".
        status |= {"locked": True, "confirm_url": reverse("accounts:confirm")}
    return JsonResponse(status)


@require_POST
@never_cache
def keep_alive(request: "MemberRequest") -> HttpResponse:
    """ "Stay signed in": an explicit POST (with its CSRF token) that counts as activity."""
    sessions.keep_alive(request)
    if request.headers.get("accept", "").startswith("application/json"):
        return _status(request)
    return HttpResponseRedirect(safe_next_path(request, request.POST.get("next")) or reverse("home"))


@require_safe
@never_cache
def sign_in_activity(request: "MemberRequest") -> HttpResponse:
    events = SecurityEvent.objects.filter(member=request.user, kind__in=ACTIVITY_KINDS)[:50]
    rows = [
        {
            "event": event,
            "browser": describe_browser(event.user_agent),
            "place": approximate_place(event.ip_address),
            "failed": event.kind in SecurityEvent.FAILED_SIGN_IN_KINDS,  # a freeze or unfreeze is no attempt
        }
        for event in events
    ]
    return render(request, "accounts/sign_in_activity.html", {"rows": rows})


@never_cache
def active_sessions(request: "MemberRequest") -> HttpResponse:
    current = request.session.session_key
    rows = [
        {
            "session": session,
            "browser": describe_browser(session.user_agent),
            "place": approximate_place(session.ip_address),
            "current": session.session_key == current,
        }
        for session in sessions.active_sessions(request.user)
    ]
    return render(request, "accounts/active_sessions.html", {"rows": rows})


@require_POST
def end_session(request: "MemberRequest", session_id: int) -> HttpResponse:
    chosen = (
        sessions.active_sessions(request.user).filter(pk=session_id).exclude(session_key=request.session.session_key)
    )
    ended = sessions.end_sessions(member=request.user, sessions=chosen, request=request, reason="one session")
    messages.success(request, _("That session is signed out.") if ended else _("That session had already ended."))
    return redirect("accounts:sessions")


@require_POST
def end_other_sessions(request: "MemberRequest") -> HttpResponse:
    others = sessions.active_sessions(request.user).exclude(session_key=request.session.session_key)
    ended = sessions.end_sessions(member=request.user, sessions=others, request=request, reason="all other sessions")
    messages.success(
        request, ngettext("Signed out %(n)d other session.", "Signed out %(n)d other sessions.", ended) % {"n": ended}
    )
    return redirect("accounts:sessions")
