"""Keeping the audit log and django-axes' logs only as long as the retention policy says."""

from datetime import datetime, timedelta
from typing import Any, TypedDict, cast

from axes.models import AccessFailureLog, AccessLog
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import chain
from .audit import Kind, record_event
from .models import AuditChainHead, MemberSession, SecurityEvent, SecurityNotice, VerificationGate


class LastPurged(TypedDict):
    sequence: int
    row_hash: str


def purge_counts(older_than_days: int) -> tuple[datetime, dict[str, int]]:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    return cutoff, {
        "audit events": SecurityEvent.objects.filter(created_at__lt=cutoff).count(),
        "sign-in logs": AccessLog.objects.filter(attempt_time__lt=cutoff).count(),
        "failure logs": AccessFailureLog.objects.filter(attempt_time__lt=cutoff).count(),
        "ended sessions": MemberSession.objects.filter(last_activity_at__lt=cutoff).count(),
        "security notices": _old_notices(cutoff).count(),
    }


def _old_notices(cutoff: datetime) -> "QuerySet[SecurityNotice]":
    # Only those done with (sent, or failed for good): one still waiting to go out is kept, however old.
    return SecurityNotice.objects.filter(
        created_at__lt=cutoff, status__in=[SecurityNotice.Status.SENT, SecurityNotice.Status.FAILED]
    )


class PurgeConflict(Exception):
    """Another purge moved the checkpoint while this one was verifying its rows."""


def purge(*, older_than_days: int, actor: str) -> dict[str, int]:
    """Delete what is older than the cutoff. The chain stays verifiable from the oldest row kept.

    Audit rows go oldest first, up to the last one before the cutoff, so what remains is one
    unbroken run. They are verified before they go (raises chain.ChainBroken, deleting nothing):
    a purge must not bury tampering. The purge's own audit event names the last row deleted, and
    the head's sealed checkpoint records that link and that event, in one transaction.
    """
    cutoff, counts = purge_counts(older_than_days)
    old_sealed = SecurityEvent.objects.filter(created_at__lt=cutoff, sequence__isnull=False)
    # Only sealed rows: their sequence is never NULL.
    last_purged = cast("LastPurged | None", old_sealed.order_by("-sequence").values("sequence", "row_hash").first())
    verified_from = None
    if last_purged is not None:
        # Verified before the head is locked, outside the transaction: every sign-in waits for that lock.
        head = chain.read_head() or AuditChainHead()
        problem = chain.check_before_purge(head, through_sequence=last_purged["sequence"])
        if problem is not None:
            raise chain.ChainBroken(problem)
        verified_from = chain.checkpoint_of(head)
    return _delete(cutoff, counts, last_purged, verified_from, reason=f"older than {older_than_days} days", actor=actor)


@transaction.atomic
def _delete(
    cutoff: datetime,
    counts: dict[str, int],
    last_purged: LastPurged | None,
    verified_from: tuple[Any, ...] | None,
    *,
    reason: str,
    actor: str,
) -> dict[str, int]:
    head = chain.locked_head()
    if last_purged is not None:
        if chain.checkpoint_of(head) != verified_from:
            raise PurgeConflict("another purge moved the checkpoint meanwhile")
        SecurityEvent.objects.filter(sequence__lte=last_purged["sequence"]).delete()
        reason += f", {chain.purged_through_text(last_purged['sequence'])}"
    AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    MemberSession.objects.filter(last_activity_at__lt=cutoff).delete()
    _old_notices(cutoff).delete()
    # Idle reservation rows of usernames nobody has tried since. (Failure counts stay: they are
    # what keeps an account frozen.)
    VerificationGate.objects.filter(in_flight=0, last_reserved_at__lt=cutoff).delete()
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    event = record_event(Kind.AUDIT_PURGED, actor=actor, reason=f"{reason}: {summary}")
    # Sealed here, under the head this purge holds: the checkpoint names the event's place.
    chain.seal_pending(wait=True)
    event.refresh_from_db(fields=["sequence"])
    if last_purged is not None:
        chain.move_checkpoint(
            through_sequence=last_purged["sequence"],
            through_hash=last_purged["row_hash"],
            purge_event_sequence=cast(int, event.sequence),  # sealed just above
        )
    return counts
