"""The session policy: idle and absolute expiry, re-authentication on return, visible sessions.

The server enforces all of it; the page's timer script only warns the member ahead of time.
Each session keeps two stamps: when the member signed in and when they last asked for a page.
The last-activity stamp is written at most once every PORTAL_ACTIVITY_WRITE_SECONDS.
"""

import time
from datetime import UTC, datetime, timedelta
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.utils import timezone

from .audit import Kind, client_ip, record_event
from .models import MemberSession


def now():
    """The policy's clock (seconds since the epoch); tests replace it."""
    return time.time()


SIGNED_IN_KEY = "policy_signed_in_at"
ACTIVE_KEY = "policy_active_at"

END_KINDS = {
    "idle": Kind.SESSION_EXPIRED_IDLE,
    "max_age": Kind.SESSION_EXPIRED_MAX_AGE,
    "returned": Kind.SESSION_ENDED_RETURN,
}


def start(request, member):
    """Called right after login(): stamp the session and list it for the member."""
    request.session[SIGNED_IN_KEY] = request.session[ACTIVE_KEY] = now()
    MemberSession.objects.create(
        session_key=request.session.session_key,
        member=member,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:300],
    )


def stamps(request):
    """(signed in at, last active at), stamping a session that has none (signed in before this policy)."""
    session = request.session
    if SIGNED_IN_KEY not in session or ACTIVE_KEY not in session:
        session[SIGNED_IN_KEY] = session.get(SIGNED_IN_KEY, now())
        session[ACTIVE_KEY] = session.get(ACTIVE_KEY, now())
    return session[SIGNED_IN_KEY], session[ACTIVE_KEY]


def expiry_reason(request, at):
    signed_in, active = stamps(request)
    if at - signed_in > settings.PORTAL_SESSION_MAX_SECONDS:
        return "max_age"
    if at - active > settings.PORTAL_IDLE_TIMEOUT_SECONDS:
        return "idle"
    if came_from_outside(request):
        return "returned"
    return None


def seconds_left(request, at):
    signed_in, active = stamps(request)
    return max(
        0,
        min(
            active + settings.PORTAL_IDLE_TIMEOUT_SECONDS - at,
            signed_in + settings.PORTAL_SESSION_MAX_SECONDS - at,
        ),
    )


def came_from_outside(request):
    """A top-level page load typed in, opened from a bookmark, or followed from another site."""
    if request.method not in ("GET", "HEAD"):
        return False  # a form post from another site is stopped by the CSRF check instead
    mode = request.headers.get("sec-fetch-mode")
    site = request.headers.get("sec-fetch-site")
    if mode is not None or site is not None:
        dest = request.headers.get("sec-fetch-dest", "document")
        return mode == "navigate" and dest == "document" and site in ("none", "cross-site")
    # No Fetch Metadata (an older browser): a page load with no Referer from this site.
    if "text/html" not in request.headers.get("accept", ""):
        return False
    referer = urlsplit(request.headers.get("referer", ""))
    return referer.netloc != request.get_host() or referer.scheme != request.scheme


def touch(request, at):
    """Record a page the member asked for, at most once per write interval."""
    _, active = stamps(request)
    if at - active >= settings.PORTAL_ACTIVITY_WRITE_SECONDS:
        _record_activity(request, at)


def keep_alive(request):
    """The member chose "Stay signed in": that counts as activity, whatever the interval."""
    stamps(request)
    _record_activity(request, now())


def _record_activity(request, at):
    request.session[ACTIVE_KEY] = at
    MemberSession.objects.filter(session_key=request.session.session_key).update(
        last_activity_at=datetime.fromtimestamp(at, tz=UTC)
    )


@transaction.atomic
def end_current(request, reason):
    """End this request's session for a policy reason, and audit it."""
    member = request.user
    record_event(END_KINDS[reason], request=request, member=member)
    _mark_ended(request.session.session_key, reason)
    logout(request)


def signed_out(request):
    """The member signed out: the listed session ends with the real one."""
    _mark_ended(request.session.session_key, "signed_out")


def _mark_ended(session_key, reason):
    if session_key:
        MemberSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason
        )


def active_sessions(member):
    """The member's sessions that are still live: not ended, and active within the idle limit."""
    idle_since = timezone.now() - timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT_SECONDS)
    return MemberSession.objects.filter(member=member, ended_at__isnull=True, last_activity_at__gte=idle_since)


@transaction.atomic
def end_sessions(*, member, sessions, request=None, actor="", reason=""):
    """End the given sessions of a member, server side; returns how many were ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(sessions.filter(member=member, ended_at__isnull=True).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    MemberSession.objects.filter(session_key__in=keys).update(ended_at=timezone.now(), end_reason="ended")
    if keys:
        record_event(Kind.SESSION_ENDED, request=request, member=member, actor=actor, reason=reason or f"{len(keys)}")
    return len(keys)
