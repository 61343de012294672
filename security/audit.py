"""Writing the security audit log. Call inside the transaction of the change being recorded."""

from typing import TYPE_CHECKING

from axes.helpers import get_client_user_agent
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from . import chain, throttle
from .addresses import client_ip
from .models import SecurityEvent
from .usernames import find_account, is_pseudonym, normalize, pseudonym

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it

Kind = SecurityEvent.Kind

# Refusals that cost a visitor nothing are audited at most this often per address and kind.
REFUSAL_AUDIT_SECONDS = 60


def record_event(
    kind: str,
    *,
    request: HttpRequest | None = None,
    username: str | None = "",
    member: "Member | None" = None,
    actor: str = "",
    reason: str = "",
) -> SecurityEvent:
    if member is None and username and not is_pseudonym(username):
        member = find_account(username)
        if member is None:
            username = pseudonym(normalize(username))  # a typed name that is no account's may be a password
    if member is not None:
        username = member.get_username()
    ip_address = user_agent = None
    if request is not None:
        ip_address = client_ip(request)
        user_agent = getattr(request, "axes_user_agent", None) or get_client_user_agent(request)
    event = SecurityEvent(
        kind=kind,
        username=(username or "")[:150],
        member=member,
        actor=(actor or "")[:150],
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300],
        reason=reason,
    )
    event.row_hash = chain.entry_mac(event)
    # One plain INSERT in the caller's transaction (an event that fails takes the change down with it);
    # it is linked into the chain after it commits, by a sealer no sign-in waits for.
    event.save(force_insert=True)
    if settings.PORTAL_AUDIT_SEAL_IN_PROCESS:
        transaction.on_commit(chain.wake_sealer, robust=True)
    return event


def record_rate_limited(
    kind: str,
    *,
    request: HttpRequest,
    username: str = "",
    member: "Member | None" = None,
    reason: str = "",
    scope: str = "",
) -> SecurityEvent | None:
    """Audit a refusal at most once a minute per address, kind and `scope` (e.g. the account).

    An outdated browser's page, a throttled address, a frozen account's attempt: each is cheap to
    send again and again, and a flood of them must not become a flood of serialized audit writes.
    Returns the event, or None when this minute's refusal is already in the log.
    """
    # While the cache fails, once a minute per process (throttle.add_once): never a 500, never a flood.
    if not throttle.add_once(f"refusal-audited:{kind}:{client_ip(request)}:{scope}", REFUSAL_AUDIT_SECONDS):
        return None
    return record_event(kind, request=request, username=username, member=member, reason=reason)
