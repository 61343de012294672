"""The tamper-evident audit chain.

Every SecurityEvent carries its place in the chain (sequence), the previous row's hash and its own
hash: an HMAC-SHA256, keyed with PORTAL_AUDIT_CHAIN_KEY, of the previous hash and the row's fields.
Editing, inserting or removing a row breaks the chain at that row, and someone with write access to
the database alone cannot forge new hashes without the key.

The head row anchors both ends, each under its own HMAC (a seal): the newest link (sequence and
hash, so rows cut from the end show) and, after a purge, the checkpoint: the link before the oldest
row kept, bound to the `audit_purged` event that moved it (so rows cut from the start show). What
the database alone cannot reveal is the whole log put back as it was earlier, rows and head
together; a witness kept outside the database (verify_audit prints one) reveals that too.
"""

import functools
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

from . import sql
from .models import AuditChainHead, SecurityEvent

GENESIS = "0" * 64
_PURGED_THROUGH = re.compile(r"\bpurged through row (\d+)\b")


@functools.cache
def _derived_key(purpose: str, secret: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def _mac(purpose: str, message: str) -> str:
    key = _derived_key(purpose, settings.PORTAL_AUDIT_CHAIN_KEY)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def row_hash(previous_hash: str, event) -> str:
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
    return _mac("audit-chain", message)


def head_seal(sequence: int, row_hash: str) -> str:
    return _mac("audit-chain-head", f"{sequence}:{row_hash}")


def checkpoint_seal(purged_through_sequence: int, purged_through_hash: str, purge_event_sequence: int) -> str:
    return _mac("audit-chain-checkpoint", f"{purged_through_sequence}:{purged_through_hash}:{purge_event_sequence}")


def purged_through_text(sequence: int) -> str:
    """The words an audit_purged event's reason uses to name its checkpoint."""
    return f"purged through row {sequence}"


def purged_through(reason: str) -> int | None:
    match = _PURGED_THROUGH.search(reason)
    return int(match.group(1)) if match else None


def _same(value: str, expected: str) -> bool:
    # Bytes: compare_digest refuses non-ASCII text, and a hand-edited column may hold some.
    return hmac.compare_digest(value.encode(), expected.encode())


def _sealed(seal: str, expected: str) -> bool:
    return bool(seal) and _same(seal, expected)


def locked_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (created, sealed, on first use)."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"head_seal": head_seal(0, "")})
    return head


def append(event: SecurityEvent) -> SecurityEvent:
    """Link `event` after the head and save it. Call inside a transaction.

    Every recorded event comes through here: the head's lock and update are written out in SQL.
    """
    head = "SELECT sequence, row_hash, head_seal FROM {head} WHERE id = 1{for_update}"
    row = sql.run(head, head=AuditChainHead)
    if row is None:  # the first event ever
        locked_head()
        row = sql.run(head, head=AuditChainHead)
    sequence, previous_hash, seal = row
    event.sequence = sequence + 1
    event.previous_hash = previous_hash or GENESIS
    event.row_hash = row_hash(event.previous_hash, event)
    event.save(force_insert=True)
    # A head rewritten outside the portal stays unsealed: appending after it must not launder it.
    new_seal = head_seal(event.sequence, event.row_hash) if _sealed(seal, head_seal(sequence, previous_hash)) else ""
    sql.run(
        "UPDATE {head} SET sequence = %s, row_hash = %s, head_seal = %s WHERE id = 1",
        [event.sequence, event.row_hash, new_seal],
        head=AuditChainHead,
    )
    return event


def move_checkpoint(*, through_sequence: int, through_hash: str, purge_event_sequence: int) -> None:
    """Record (sealed) that rows up to `through_sequence` were purged by the given audit_purged event."""
    AuditChainHead.objects.filter(pk=1).update(
        purged_through_sequence=through_sequence,
        purged_through_hash=through_hash,
        purge_event_sequence=purge_event_sequence,
        checkpoint_seal=checkpoint_seal(through_sequence, through_hash, purge_event_sequence),
    )


@dataclass
class Break:
    sequence: int | None
    problem: str
    place: str = ""

    def __str__(self):
        where = self.place or (f"row {self.sequence}" if self.sequence is not None else "the end of the log")
        return f"{where}: {self.problem}"


class ChainBroken(Exception):
    def __init__(self, broken: Break):
        super().__init__(str(broken))
        self.broken = broken


def _links(rows: Iterable, *, after_sequence: int, after_hash: str) -> Iterator:
    """Yield each row in turn while it links after the one before; raise ChainBroken at the first that does not."""
    expected_sequence, expected_previous = after_sequence + 1, after_hash
    for event in rows:
        if event.sequence < expected_sequence:
            raise ChainBroken(Break(event.sequence, "appears again or out of order (row inserted)"))
        if event.sequence > expected_sequence and expected_sequence == after_sequence + 1:
            purged = f"rows through {after_sequence} were purged" if after_sequence else "nothing was purged"
            raise ChainBroken(
                Break(
                    expected_sequence,
                    f"it is row {event.sequence}, but the purge checkpoint says {purged}: rows"
                    f" {expected_sequence} to {event.sequence - 1} are missing (removed from the start, or an"
                    " older checkpoint put back)",
                    place="the start of the log",
                )
            )
        if event.sequence > expected_sequence:
            problem = f"expected row {expected_sequence} next, found row {event.sequence} (rows removed)"
            raise ChainBroken(Break(expected_sequence, problem))
        if event.previous_hash != expected_previous:
            raise ChainBroken(Break(event.sequence, "does not follow the row before it (inserted or reordered)"))
        if not _same(event.row_hash, row_hash(event.previous_hash, event)):
            raise ChainBroken(Break(event.sequence, "its contents were altered"))
        yield event
        expected_sequence += 1
        expected_previous = event.row_hash


def _has_checkpoint(head: AuditChainHead) -> bool:
    return bool(head.purged_through_sequence or head.purged_through_hash or head.purge_event_sequence)


def _checkpoint_problem(head: AuditChainHead) -> Break | None:
    """Whether the purge checkpoint is one the portal sealed, naming a purge event after it."""
    if not _has_checkpoint(head):
        return None
    through, purge_event = head.purged_through_sequence, head.purge_event_sequence
    place = "the purge checkpoint"
    if not _sealed(head.checkpoint_seal, checkpoint_seal(through, head.purged_through_hash, purge_event)):
        problem = (
            f"its seal does not match (rows through {through} purged, by the purge at row {purge_event}):"
            " it was set outside the portal, so rows may have been removed from the start"
        )
        return Break(None, problem, place=place)
    if purge_event <= through:
        return Break(None, f"it names no audit_purged event after row {through}", place=place)
    return None


def _head_problem(head: AuditChainHead) -> Break | None:
    if not _sealed(head.head_seal, head_seal(head.sequence, head.row_hash)):
        problem = (
            f"its seal does not match (row {head.sequence}): it was rewritten outside the portal, so rows may"
            " have been removed from the end"
        )
        return Break(None, problem, place="the chain head")
    return None


def _purge_event_problem(event: SecurityEvent, *, through: int) -> Break | None:
    """Whether the event the checkpoint names is the audit_purged event that purged through its row."""
    if event.kind != SecurityEvent.Kind.AUDIT_PURGED:
        return Break(event.sequence, "the purge checkpoint names it as its purge, but it is no audit_purged event")
    named = purged_through(event.reason)
    if named != through:
        said = f"says it purged through row {named}" if named is not None else "names no purged-through row"
        return Break(event.sequence, f"the purge checkpoint is at row {through}, but this audit_purged event {said}")
    return None


def read_head() -> AuditChainHead | None:
    """The chain head as it stands, unlocked (None before the first event)."""
    return AuditChainHead.objects.filter(pk=1).first()


def verify(
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 10_000,
    witness: tuple[int, str] | None = None,
) -> tuple[Break | None, int, tuple[int, str] | None]:
    """The first break in the chain (or None), how many rows were checked, and the last link verified.

    `witness` is a (sequence, row hash) printed by an earlier run and kept outside the database:
    the log must still reach it, so it cannot have been put back as it was before then. Events
    appended while this runs are left for the next run.
    """
    head = read_head()
    problem, checked = _verify_against(head, progress, chunk_size, witness)
    latest = read_head()
    if problem is not None and head is not None and latest is not None and checkpoint_of(latest) != checkpoint_of(head):
        head = latest  # a purge committed between reading the head and reading the rows
        problem, checked = _verify_against(head, progress, chunk_size, witness)
    end = (head.sequence, head.row_hash) if head is not None and problem is None else None
    return problem, checked, end


def checkpoint_of(head: AuditChainHead) -> tuple:
    return head.purged_through_sequence, head.purged_through_hash, head.purge_event_sequence, head.checkpoint_seal


def _verify_against(head: AuditChainHead | None, progress, chunk_size: int, witness) -> tuple[Break | None, int]:
    if head is None:
        if SecurityEvent.objects.exists():
            return Break(None, "it is missing", place="the chain head"), 0
        head = AuditChainHead(head_seal=head_seal(0, ""))  # a database no event was ever written to
    problem = _checkpoint_problem(head) or _head_problem(head)
    if problem is not None:
        return problem, 0
    through = head.purged_through_sequence
    purge_event = head.purge_event_sequence if _has_checkpoint(head) else None
    last_sequence, last_hash = through, head.purged_through_hash or GENESIS
    if witness is not None and witness[0] == through and witness[1] != last_hash:
        problem = f"it is row {through}, but the witness gives that row another hash"
        return Break(None, problem, place="the purge checkpoint"), 0
    checked = 0
    rows = (
        SecurityEvent.objects.filter(sequence__lte=head.sequence).order_by("sequence").iterator(chunk_size=chunk_size)
    )
    try:
        for event in _links(rows, after_sequence=through, after_hash=last_hash):
            if event.sequence == purge_event:
                problem = _purge_event_problem(event, through=through)
                if problem is not None:
                    return problem, checked
            if witness is not None and event.sequence == witness[0] and event.row_hash != witness[1]:
                return Break(event.sequence, "its hash is not the witness's: the log was rewritten from here"), checked
            last_sequence, last_hash = event.sequence, event.row_hash
            checked += 1
            if progress is not None and checked % chunk_size == 0:
                progress(checked)
    except ChainBroken as broken:
        return broken.broken, checked
    return _end_problem(head, last_sequence, last_hash, purge_event, witness), checked


def _end_problem(
    head: AuditChainHead, last_sequence: int, last_hash: str, purge_event: int | None, witness: tuple[int, str] | None
) -> Break | None:
    """Whether the last row verified is the one the head, the purge checkpoint and the witness expect."""
    if last_sequence < head.sequence:
        problem = f"the log ends at row {last_sequence} but the chain head is row {head.sequence}"
        return Break(None, f"{problem} (rows removed from the end)")
    if last_hash != (head.row_hash or GENESIS):
        return Break(head.sequence, "it is not the row the chain head names (rows replaced at the end)")
    beyond = SecurityEvent.objects.filter(sequence__gt=head.sequence).order_by("sequence").values_list("sequence")
    beyond = beyond.first()
    # A row appended since commits with its head update, so a head read after it has reached it.
    latest = read_head()
    if beyond is not None and (latest is None or latest.sequence < beyond[0]):
        problem = f"the log goes on to row {beyond[0]} but the chain head is row {head.sequence}"
        return Break(None, f"{problem} (an older chain head put back)")
    if purge_event is not None and purge_event > last_sequence:
        problem = f"the audit_purged event that made the purge checkpoint (row {purge_event}) is not in the log"
        return Break(None, problem)
    if witness is not None and witness[0] > last_sequence:
        problem = (
            f"the log ends at row {last_sequence}, before row {witness[0]} named by the witness"
            " (rows and chain head put back as they were earlier)"
        )
        return Break(None, problem)
    return None


def check_before_purge(head: AuditChainHead, *, through_sequence: int) -> Break | None:
    """The first break in the purge checkpoint or the rows a purge is about to delete, or None.

    A purge over a broken stretch would delete the evidence and seal a new checkpoint after it.
    """
    problem = _checkpoint_problem(head)
    if problem is not None:
        return problem
    after_hash = head.purged_through_hash or GENESIS
    rows = SecurityEvent.objects.filter(sequence__lte=through_sequence).order_by("sequence").iterator(chunk_size=10_000)
    try:
        for _ in _links(rows, after_sequence=head.purged_through_sequence, after_hash=after_hash):
            pass
    except ChainBroken as broken:
        return broken.broken
    return None
