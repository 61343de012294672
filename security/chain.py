"""The tamper-evident audit chain.

Every SecurityEvent carries its place in the chain (sequence), the previous row's hash and its own
hash: an HMAC-SHA256, keyed with PORTAL_AUDIT_CHAIN_KEY, of the previous hash and the row's fields.
Editing, inserting or removing a row breaks the chain at that row, and someone with write access to
the database alone cannot forge new hashes without the key. The head row records the newest link
(so rows cut from the end show) and, after a purge, the link before the oldest row kept.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

from . import sql
from .models import AuditChainHead, SecurityEvent

GENESIS = "0" * 64


def _key():
    return hashlib.sha256(f"audit-chain:{settings.PORTAL_AUDIT_CHAIN_KEY}".encode()).digest()


def row_hash(previous_hash, event):
    fields = [
        event.sequence,
        event.created_at.isoformat(timespec="microseconds"),
        event.kind,
        event.username,
        event.member_id,
        event.actor,
        event.ip_address,
        event.user_agent,
        event.reason,
    ]
    message = previous_hash + json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()


def locked_head():
    """The chain head, locked until the caller's transaction ends (created on first use)."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def append(event):
    """Link `event` after the head and save it. Call inside a transaction.

    Every recorded event comes through here: the head's lock and update are written out in SQL.
    """
    head = "SELECT sequence, row_hash FROM {head} WHERE id = 1{for_update}"
    row = sql.run(head, head=AuditChainHead)
    if row is None:  # the first event ever
        locked_head()
        row = sql.run(head, head=AuditChainHead)
    sequence, previous_hash = row
    event.sequence = sequence + 1
    event.previous_hash = previous_hash or GENESIS
    event.row_hash = row_hash(event.previous_hash, event)
    event.save(force_insert=True)
    sql.run(
        "UPDATE {head} SET sequence = %s, row_hash = %s WHERE id = 1",
        [event.sequence, event.row_hash],
        head=AuditChainHead,
    )
    return event


@dataclass
class Break:
    sequence: int | None
    problem: str

    def __str__(self):
        where = f"row {self.sequence}" if self.sequence is not None else "the end of the log"
        return f"{where}: {self.problem}"


def verify(progress=None, chunk_size=10_000):
    """The first break in the chain, or None; and how many rows were checked."""
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead()
    expected_sequence = head.purged_through_sequence + 1
    expected_previous = head.purged_through_hash or GENESIS
    checked = 0
    rows = SecurityEvent.objects.order_by("sequence").iterator(chunk_size=chunk_size)
    for event in rows:
        if event.sequence != expected_sequence:
            problem = (
                f"expected row {expected_sequence} next, found row {event.sequence} (rows removed)"
                if event.sequence > expected_sequence
                else f"row {event.sequence} appears again or out of order (row inserted)"
            )
            return Break(expected_sequence if event.sequence > expected_sequence else event.sequence, problem), checked
        if event.previous_hash != expected_previous:
            return Break(event.sequence, "does not follow the row before it (inserted or reordered)"), checked
        if not hmac.compare_digest(event.row_hash, row_hash(event.previous_hash, event)):
            return Break(event.sequence, "its contents were altered"), checked
        expected_sequence += 1
        expected_previous = event.row_hash
        checked += 1
        if progress is not None and checked % chunk_size == 0:
            progress(checked)
    if head.sequence and (expected_sequence - 1 != head.sequence or expected_previous != head.row_hash):
        return Break(
            None,
            f"the log ends at row {expected_sequence - 1} but the chain head is row {head.sequence}"
            " (rows removed from the end)",
        ), checked
    return None, checked
