"""The member's view of their sessions: the idle timer's endpoints, sign-in activity, active sessions."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from security import sessions
from security.clients import approximate_place, describe_browser
from security.middleware import background_request
from security.models import SecurityEvent
from security.request_checks import safe_next_path

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
def session_status(request):
    """For the page's timer: how long until this session ends (it ends here once that is over).
    Checking does not extend it."""
    return _status(request)


def _status(request):
    if not request.user.is_authenticated:
        ended = getattr(request, "portal_session_ended", None)  # ended by this very request, and why
        return JsonResponse({"signed_in": False, "signed_out": ended} if ended else {"signed_in": False})
    seconds_left = sessions.seconds_left(request, sessions.now())
    return JsonResponse(
        {"signed_in": True, "seconds_left": seconds_left, "warning_seconds": settings.PORTAL_IDLE_WARNING_SECONDS}
    )


@require_POST
@never_cache
def keep_alive(request):
    """ "Stay signed in": an explicit POST (with its CSRF token) that counts as activity."""
    sessions.keep_alive(request)
    if request.headers.get("accept", "").startswith("application/json"):
        return _status(request)
    return HttpResponseRedirect(safe_next_path(request, request.POST.get("next")) or reverse("home"))


@require_safe
@never_cache
def sign_in_activity(request):
    events = SecurityEvent.objects.filter(member=request.user, kind__in=ACTIVITY_KINDS)[:50]
    rows = [
        {
            "event": event,
            "browser": describe_browser(event.user_agent),
            "place": approximate_place(event.ip_address),
            "failed": event.kind != Kind.SIGN_IN_SUCCEEDED,
        }
        for event in events
    ]
    return render(request, "accounts/sign_in_activity.html", {"rows": rows})


@never_cache
def active_sessions(request):
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
def end_session(request, session_id):
    chosen = (
        sessions.active_sessions(request.user).filter(pk=session_id).exclude(session_key=request.session.session_key)
    )
    ended = sessions.end_sessions(member=request.user, sessions=chosen, request=request, reason="one session")
    messages.success(request, "That session is signed out." if ended else "That session had already ended.")
    return redirect("accounts:sessions")


@require_POST
def end_other_sessions(request):
    others = sessions.active_sessions(request.user).exclude(session_key=request.session.session_key)
    ended = sessions.end_sessions(member=request.user, sessions=others, request=request, reason="all other sessions")
    messages.success(request, f"Signed out {ended} other session{'s' if ended != 1 else ''}.")
    return redirect("accounts:sessions")
