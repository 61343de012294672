"""The session policy: idle and absolute expiry, re-authentication on return, visible sessions.

Coming back from outside the portal (a bookmark, a typed address, another site) locks the session:
every tab is sent to "Confirm it's you" until the member gives their password again. The lock is
kept on the session's listing (MemberSession.locked_at), not in the session's data, which a request
of another tab still under way may save back without it. The lock is no activity, so the idle and
absolute limits still end a locked session. A sign-in or a confirmation stamps the session as
recently authenticated for PORTAL_RECENT_AUTH_SECONDS.

The server alone decides when a session ends; the page's timer script only warns the member
ahead of time, and at its deadline asks the server (which ends the session there and then).
Each session keeps two stamps: when the member signed in and when they last asked for a page.
The last-activity stamp is written at most once every PORTAL_ACTIVITY_WRITE_SECONDS. A session
ends at its limit exactly: idle for PORTAL_IDLE_TIMEOUT_SECONDS, or PORTAL_SESSION_MAX_SECONDS
after sign-in.

Every signed-in session is listed (MemberSession, kept in step by the session store), so ending
a member's listed sessions ends all of them.
"""

import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, logout
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .addresses import client_ip
from .audit import Kind, record_event
from .models import MemberSession
from .session_store import LISTED_KEY, SessionStore

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it


def now() -> float:
    """The policy's clock (seconds since the epoch); tests replace it."""
    return time.time()


SIGNED_IN_KEY = "policy_signed_in_at"
ACTIVE_KEY = "policy_active_at"
# Where the lock was kept before it moved to the listing: a session still carrying it is locked.
LEGACY_LOCKED_KEY = "policy_locked_at"
AUTHENTICATED_KEY = "policy_authenticated_at"
# In the query of the page timer's navigation to sign-in (?signed_out=idle): never activity.
TIMER_MARKER = "signed_out"

END_KINDS = {
    "idle": Kind.SESSION_EXPIRED_IDLE,
    "max_age": Kind.SESSION_EXPIRED_MAX_AGE,
}


def _moment(at: float) -> datetime:
    return datetime.fromtimestamp(at, tz=UTC)


def start(request: HttpRequest, member: "Member") -> None:
    """Called right after login(): stamp the session and list it for the member."""
    at = now()
    session = request.session
    session[SIGNED_IN_KEY] = session[ACTIVE_KEY] = session[AUTHENTICATED_KEY] = at
    session[LISTED_KEY] = True
    MemberSession.objects.create(
        session_key=cast(str, session.session_key),  # login() has given the session its key
        member=member,
        created_at=_moment(at),
        last_activity_at=_moment(at),
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:300],
    )


def stamps(request: HttpRequest) -> tuple[float, float]:
    """(signed in at, last active at), stamping a session that has none (signed in before this policy)."""
    session = request.session
    if SIGNED_IN_KEY not in session or ACTIVE_KEY not in session:
        session[SIGNED_IN_KEY] = session.get(SIGNED_IN_KEY, now())
        session[ACTIVE_KEY] = session.get(ACTIVE_KEY, now())
    return session[SIGNED_IN_KEY], session[ACTIVE_KEY]


def expired(signed_in: float, active: float, at: float) -> str | None:
    """Which limit a session with these stamps has reached at `at`, if any: it ends at the limit."""
    if at - signed_in >= settings.PORTAL_SESSION_MAX_SECONDS:
        return "max_age"
    if at - active >= settings.PORTAL_IDLE_TIMEOUT_SECONDS:
        return "idle"
    return None


def expiry_reason(request: HttpRequest, at: float) -> str | None:
    return expired(*stamps(request), at)


# What the session's listing says of the lock; ENDED: no open listing (ended meanwhile, or never listed).
OPEN, LOCKED, ENDED = "open", "locked", "ended"
# On the request: (session key, lock state) as read from the listing, so a request reads it once.
_LOCK_STATE_ATTR = "_portal_session_lock"


def is_locked(request: HttpRequest) -> bool:
    """The member came back from outside and has not confirmed it is them yet.

    True as well for a session without an open listing: whatever it is, it is not let through.
    """
    return _lock_state(request) != OPEN


def listing_ended(request: HttpRequest) -> bool:
    """The session's listing is gone (ended while this request ran), though its data says signed in."""
    return _lock_state(request) == ENDED


def _lock_state(request: HttpRequest) -> str:
    key = request.session.session_key
    known: tuple[str, str] | None = getattr(request, _LOCK_STATE_ATTR, None)
    if known is not None and known[0] == key:
        return known[1]
    found = list(_open_listing(key).values_list("locked_at", flat=True)[:1]) if key else []
    if not found:
        state = ENDED
    elif found[0] is not None:
        state = LOCKED
    elif LEGACY_LOCKED_KEY in request.session:
        state = _move_legacy_lock(request)
    else:
        state = OPEN
    _remember(request, state)
    return state


def _move_legacy_lock(request: HttpRequest) -> str:
    """A session locked in its data before the lock moved to the listing: it stays locked, on the listing."""
    del request.session[LEGACY_LOCKED_KEY]
    _open_listing(request.session.session_key).filter(locked_at__isnull=True).update(locked_at=_moment(now()))
    return LOCKED  # 0 rows: locked or ended meanwhile, locked either way


def _remember(request: HttpRequest, state: str | None) -> None:
    setattr(request, _LOCK_STATE_ATTR, None if state is None else (request.session.session_key, state))


def _open_listing(session_key: str | None) -> QuerySet[MemberSession]:
    return MemberSession.objects.filter(session_key=session_key, ended_at__isnull=True)


@transaction.atomic
def lock_for_return(request: HttpRequest) -> None:
    """Came back from outside: every tab waits for the password again. Audited with its commit.

    On the listing, so no later save of the session's data (this tab's or another's) can undo it.
    """
    locked = _open_listing(request.session.session_key).filter(locked_at__isnull=True).update(locked_at=_moment(now()))
    if locked:
        record_event(Kind.SESSION_LOCKED_RETURN, request=request, member=cast("Member", request.user))
    _remember(request, LOCKED if locked else None)  # not locked here: locked or ended meanwhile, read again


@transaction.atomic
def confirm(request: HttpRequest) -> bool:
    """The right password on "Confirm it's you": unlock, under a new key, and count it as activity.

    False when the session was ended meanwhile (its listing is gone), and nothing is unlocked.
    """
    at = now()
    session = request.session
    session.cycle_key()  # the listing follows the new key, or the session is emptied if it had ended
    if not _open_listing(session.session_key).update(locked_at=None, last_activity_at=_moment(at)):
        return False  # no listing followed: ended meanwhile (or never listed)
    session[ACTIVE_KEY] = session[AUTHENTICATED_KEY] = at
    record_event(Kind.SESSION_CONFIRMED, request=request, member=cast("Member", request.user))
    session.save()
    _remember(request, OPEN)
    return True


def recently_authenticated(request: HttpRequest) -> bool:
    """Signed in or confirmed within PORTAL_RECENT_AUTH_SECONDS, and not locked since."""
    if is_locked(request):
        return False
    authenticated_at: float | None = request.session.get(AUTHENTICATED_KEY)
    if authenticated_at is None:
        return False
    return 0 <= now() - authenticated_at < settings.PORTAL_RECENT_AUTH_SECONDS


def seconds_left(request: HttpRequest, at: float) -> int:
    """Whole seconds until the session ends, rounded up, so a timer set to it fires once it is over.

    Rounded to the millisecond first: float noise in the stamps must not add a second.
    """
    signed_in, active = stamps(request)
    left = min(active + settings.PORTAL_IDLE_TIMEOUT_SECONDS, signed_in + settings.PORTAL_SESSION_MAX_SECONDS) - at
    return max(0, math.ceil(round(left, 3)))


def came_from_outside(request: HttpRequest) -> bool:
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


def is_listed(request: HttpRequest) -> bool:
    """False only for a session signed in before sessions were listed (the store lists every other)."""
    return bool(request.session.get(LISTED_KEY))


def touch(request: HttpRequest, at: float) -> bool:
    """Record a page the member asked for, at most once per write interval.

    False when the write finds the listing ended: the session was ended while this request ran.
    """
    _, active = stamps(request)
    if at - active >= settings.PORTAL_ACTIVITY_WRITE_SECONDS:
        return _record_activity(request, at)
    return True


def keep_alive(request: HttpRequest) -> None:
    """The member chose "Stay signed in": that counts as activity, whatever the interval."""
    stamps(request)
    _record_activity(request, now())


def _record_activity(request: HttpRequest, at: float) -> bool:
    request.session[ACTIVE_KEY] = at
    listed = MemberSession.objects.filter(session_key=request.session.session_key, ended_at__isnull=True)
    return bool(listed.update(last_activity_at=_moment(at)))


def end_current(request: HttpRequest, reason: str) -> None:
    """End this request's session for a policy reason (a key of END_KINDS), and audit it."""
    _end_this(request, END_KINDS[reason], reason)


def end_for_timer(request: HttpRequest) -> None:
    """The page's timer reached its deadline: this session ends now, and its request is no activity.

    At or over a limit that is the expiry; a moment before (the page's clock runs ahead of the
    server's), a sign-out the timer asked for.
    """
    reason = expired(*stamps(request), now())
    if reason is not None:
        end_current(request, reason)
    else:
        _end_this(request, Kind.SIGNED_OUT, "timer", note="by the page's inactivity timer")


def end_unlisted(request: HttpRequest) -> None:
    """A session signed in before sessions were listed: "end all" cannot reach it, so it ends here."""
    _end_this(request, Kind.SESSION_ENDED, "unlisted", note="signed in before sessions were listed")


@transaction.atomic
def _end_this(request: HttpRequest, kind: str, end_reason: str, note: str = "") -> None:
    # Only a signed-in session is ended by the policy.
    record_event(kind, request=request, member=cast("Member", request.user), reason=note)
    _mark_ended(request.session.session_key, end_reason)
    logout(request)


def signed_out(request: HttpRequest) -> None:
    """The member signed out: the listed session ends with the real one."""
    _mark_ended(request.session.session_key, "signed_out")


def _mark_ended(session_key: str | None, reason: str) -> None:
    if session_key:
        MemberSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
            ended_at=_moment(now()), end_reason=reason
        )


def active_sessions(member: "Member") -> QuerySet[MemberSession]:
    """The member's sessions that are live now, as each session's own record says: signed in as
    this member, with their current password, and within both limits."""
    at = now()
    # Rough bounds in SQL (the activity stamp is written at most once per interval), exact in Python.
    slack = settings.PORTAL_IDLE_TIMEOUT_SECONDS + settings.PORTAL_ACTIVITY_WRITE_SECONDS
    listed = MemberSession.objects.filter(
        member=member,
        ended_at__isnull=True,
        created_at__gt=_moment(at - settings.PORTAL_SESSION_MAX_SECONDS - settings.PORTAL_ACTIVITY_WRITE_SECONDS),
        last_activity_at__gt=_moment(at - slack),
    )
    stored = SessionStore.get_model_class().objects.filter(
        session_key__in=listed.values("session_key"), expire_date__gt=timezone.now()
    )
    hashes = [member.get_session_auth_hash(), *member.get_session_auth_fallback_hash()]
    live = [
        row.session_key
        for row in stored.only("session_key", "session_data")
        if _is_live(SessionStore().decode(row.session_data), member, hashes, at)
    ]
    return MemberSession.objects.filter(member=member, ended_at__isnull=True, session_key__in=live)


def _is_live(data: dict[str, Any], member: "Member", hashes: list[str], at: float) -> bool:
    if data.get(SESSION_KEY) != str(member.pk):
        return False
    if not any(constant_time_compare(data.get(HASH_SESSION_KEY, ""), auth_hash) for auth_hash in hashes):
        return False  # the password changed since: Django ends it at its next request
    if SIGNED_IN_KEY not in data or ACTIVE_KEY not in data:
        return True  # not stamped yet: its next request stamps it
    return expired(data[SIGNED_IN_KEY], data[ACTIVE_KEY], at) is None


@transaction.atomic
def end_sessions(
    *,
    member: "Member",
    sessions: QuerySet[MemberSession],
    request: HttpRequest | None = None,
    actor: str = "",
    reason: str = "",
) -> int:
    """End the given sessions of a member, server side; returns how many were ended."""
    ended = _end_listed(sessions.filter(member=member))
    if ended:
        record_event(Kind.SESSION_ENDED, request=request, member=member, actor=actor, reason=reason or f"{ended}")
    return ended


@transaction.atomic
def end_all_sessions(*, member: "Member", request: HttpRequest | None = None, actor: str = "", reason: str = "") -> int:
    """End every session of the member, this request's too if it is theirs; audited once.

    For the freeze (by failures, staff or an operator) as for support: call it inside the
    transaction of the change that calls for it. This request, if it is the member's, finishes
    as it began (its view may still be running) but leaves with a new, empty session. Returns
    how many sessions were ended (and audits nothing when there were none).
    """
    ended = _end_listed(MemberSession.objects.filter(member=member))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk == member.pk:
        cast(HttpRequest, request).session.flush()  # its row is gone already: nothing of it may be saved again
    if ended:
        record_event(
            Kind.SESSION_ENDED, request=request, member=member, actor=actor, reason=reason or f"all sessions ({ended})"
        )
    return ended


def _end_listed(listed: QuerySet[MemberSession]) -> int:
    """End these listed sessions: the listing, then the sessions' rows. The listing is locked
    first, so a session whose key changes at the same moment cannot move out of reach."""
    rows = list(listed.filter(ended_at__isnull=True).select_for_update().values_list("pk", "session_key"))
    if not rows:
        return 0
    MemberSession.objects.filter(pk__in=[pk for pk, _ in rows]).update(ended_at=_moment(now()), end_reason="ended")
    SessionStore.get_model_class().objects.filter(session_key__in=[key for _, key in rows]).delete()
    return len(rows)
