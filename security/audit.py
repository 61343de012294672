"""Writing the security audit log. Call inside the transaction of the change being recorded."""

from axes.helpers import get_client_user_agent
from django.db import transaction

from . import chain
from .addresses import client_ip
from .models import SecurityEvent

Kind = SecurityEvent.Kind


def record_event(kind, *, request=None, username="", member=None, actor="", reason=""):
    if member is not None and not username:
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
    # No savepoint of its own: an event that fails to write takes its caller's change down with it.
    with transaction.atomic(savepoint=False):
        return chain.append(event)
