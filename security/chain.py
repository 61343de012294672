"""The tamper-evident audit chain.

A request writes its event as one plain INSERT in its own transaction, with an entry MAC in
row_hash (an HMAC of the event's fields, keyed with PORTAL_AUDIT_CHAIN_KEY), and takes no lock any
other request waits for. A sealer (a thread in each app process, woken when an event commits, or
`manage.py seal_audit`) then links committed events into the chain in batches, under the head's
lock: each gets its place (sequence), the previous row's hash and its own hash, an HMAC of the
previous hash and the row's fields. Editing, inserting or removing a sealed row breaks the chain at
that row, and someone with write access to the database alone cannot forge new hashes without the
key; an unsealed row edited or forged fails its entry MAC, and one left unsealed past
PORTAL_AUDIT_SEAL_MAX_AGE_SECONDS is reported.

The head row anchors both ends, each under its own HMAC (a seal): the newest link (sequence and
hash, so rows cut from the end show) and, after a purge, the checkpoint: the link before the oldest
row kept, bound to the `audit_purged` event that moved it (so rows cut from the start show). What
the database alone cannot reveal is the whole log put back as it was earlier, rows and head
together; a witness kept outside the database (verify_audit prints one) reveals that too.
"""

import atexit
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditChainHead, SecurityEvent

if TYPE_CHECKING:

    class SealedEvent(Protocol):
        """A sealed SecurityEvent as the verifier reads it: its place in the chain is set."""

        sequence: int
        previous_hash: str
        row_hash: str
        created_at: datetime
        kind: str
        username: str
        member_id: int | None
        actor: str
        ip_address: str | None
        user_agent: str
        reason: str


logger = logging.getLogger(__name__)

GENESIS = "0" * 64
_PURGED_THROUGH = re.compile(r"\bpurged through row (\d+)\b")


@functools.cache
def _derived_key(purpose: str, secret: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def _mac(purpose: str, message: str) -> str:
    key = _derived_key(purpose, settings.PORTAL_AUDIT_CHAIN_KEY)
    return hmac.digest(key, message.encode(), "sha256").hex()


def _fields(event: "SecurityEvent | _Pending | SealedEvent") -> list[Any]:
    return [
        event.created_at.isoformat(timespec="microseconds"),
        event.kind,
        event.username,
        event.member_id,
        event.actor,
        event.ip_address,
        event.user_agent,
        event.reason,
    ]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def row_hash(previous_hash: str, event: "SealedEvent") -> str:
    return _row_hash(previous_hash, event.sequence, _ENCODER.encode(_fields(event)))


def _row_hash(previous_hash: str, sequence: int, fields_text: str) -> str:
    # The JSON of [sequence, *fields], built from the fields' own JSON, which the entry MAC has made.
    return _mac("audit-chain", f"{previous_hash}[{sequence},{fields_text[1:]}")


def entry_mac(event: "SecurityEvent | _Pending") -> str:
    """The HMAC an event carries in row_hash until it is sealed: it binds its fields, not its place."""
    return _mac("audit-entry", _ENCODER.encode(_fields(event)))


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


def locked_head(*, nowait: bool = False) -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (created, sealed, on first use).

    With `nowait`, raises DatabaseError at once if another transaction holds it (PostgreSQL).
    """
    heads = AuditChainHead.objects.select_for_update(nowait=nowait)
    head = heads.filter(pk=1).first()
    if head is None:  # the first seal ever; two at once: one inserts, both then lock it
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1, head_seal=head_seal(0, ""))], ignore_conflicts=True)
        head = heads.get(pk=1)
    return head


@dataclass
class SealRun:
    sealed: int = 0
    refused: list[int] = field(default_factory=list)  # ids of unsealed rows whose entry MAC fails
    busy: bool = False  # another sealer held the head: it seals what this run would have


PENDING_COLUMNS = ["id", "created_at", "kind", "username", "member_id", "actor", "ip_address", "user_agent", "reason"]


def seal_pending(*, wait: bool = False, batch_size: int = 1000) -> SealRun:
    """Link every committed unsealed event into the chain, in id order, one batch per transaction.

    Without `wait`, gives up at once (busy) when another sealer holds the head, so it never queues
    behind one. Rows that fail their entry MAC are left unsealed and reported, never linked.
    """
    run, after_id = SealRun(), 0
    while True:
        try:
            with transaction.atomic():
                head = locked_head(nowait=not wait)
                after_id, full = _seal_batch(head, run, after_id=after_id, batch_size=batch_size)
        except OperationalError as error:
            if wait or not _lock_not_available(error):
                raise
            run.busy = True
            return run
        if not full:
            return run


def _lock_not_available(error: OperationalError) -> bool:
    # PostgreSQL's lock_not_available, what NOWAIT raises; any other failure is a real one.
    return getattr(error.__cause__, "sqlstate", None) == "55P03"


class _Pending:
    def __init__(self, row: tuple[Any, ...]) -> None:
        self.id, self.created_at, self.kind, self.username, self.member_id = row[:5]
        self.actor, self.ip_address, self.user_agent, self.reason, self.row_hash = row[5:]


def _seal_batch(head: AuditChainHead, run: SealRun, *, after_id: int, batch_size: int) -> tuple[int, bool]:
    rows = (
        SecurityEvent.objects.filter(sequence__isnull=True, id__gt=after_id)
        .order_by("id")
        .values_list(*PENDING_COLUMNS, "row_hash")[:batch_size]
    )
    pending = [_Pending(row) for row in rows]
    sequence, previous = head.sequence, head.row_hash or GENESIS
    links = []
    for event in pending:
        fields_text = _ENCODER.encode(_fields(event))
        if not _same(event.row_hash, _mac("audit-entry", fields_text)):
            run.refused.append(event.id)
            continue
        sequence += 1
        link = _row_hash(previous, sequence, fields_text)
        links.append((event.id, sequence, previous, link, event.row_hash))
        previous = link
    if links:
        _write_links(links)
        # A head rewritten outside the portal stays unsealed: sealing after it must not launder it.
        valid = _sealed(head.head_seal, head_seal(head.sequence, head.row_hash))
        AuditChainHead.objects.filter(pk=1).update(
            sequence=sequence, row_hash=previous, head_seal=head_seal(sequence, previous) if valid else ""
        )
        run.sealed += len(links)
    return (pending[-1].id if pending else after_id), len(pending) == batch_size


_LINK_BATCH_POSTGRESQL = (
    "UPDATE {events} AS e SET sequence = v.sequence, previous_hash = v.previous_hash, row_hash = v.row_hash"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[])"
    " AS v(id, sequence, previous_hash, row_hash, entry_mac)"
    " WHERE e.id = v.id AND e.sequence IS NULL AND e.row_hash = v.entry_mac"
)
_LINK_ROW = (
    "UPDATE {events} SET sequence = %s, previous_hash = %s, row_hash = %s"
    " WHERE id = %s AND sequence IS NULL AND row_hash = %s"
)


def _write_links(links: list[tuple[int, int, str, str, str]]) -> None:
    """One statement for the batch; each row only if it is still unsealed and unchanged since read."""
    events = connection.ops.quote_name(SecurityEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _LINK_BATCH_POSTGRESQL.format(events=events), [list(column) for column in zip(*links, strict=True)]
            )
        else:
            rows = [(sequence, previous, link, id_, mac) for id_, sequence, previous, link, mac in links]
            cursor.executemany(_LINK_ROW.format(events=events), rows)
        written = cursor.rowcount
    if written != len(links):
        raise DatabaseError(f"sealed {written} of {len(links)} events: rows changed while being sealed")


# After a wake, the sealer waits this long so that one seal takes the events of many requests.
SEAL_GATHER_SECONDS = 0.05


class _Sealer:
    """A thread in this process that seals events soon after they commit, off every request's path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def nudge(self) -> None:
        with self._lock:
            self._idle.clear()
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._pid = os.getpid()  # a forked worker starts its own
                self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(SEAL_GATHER_SECONDS)
            self._wake.clear()
            try:
                seal_until_done()
            except (OperationalError, InterfaceError) as error:
                # The database is away (the outage is logged once elsewhere): the next wake seals them.
                logger.warning(
                    "Sealing audit events waits for the database: %s", (str(error).splitlines() or [""])[0][:200]
                )
            except Exception:
                logger.exception("Sealing audit events failed; the next event or seal_audit seals them.")
            with self._lock:
                if not self._wake.is_set():
                    close_old_connections()
                    self._idle.set()

    def finish(self, timeout: float) -> None:
        """Let a seal under way end before the process does (management commands exit at once)."""
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            self._idle.wait(timeout)


_sealer = _Sealer()
atexit.register(_sealer.finish, 10)


def wake_sealer() -> None:
    """Called when a transaction that wrote an event commits."""
    _sealer.nudge()


def seal_until_done() -> SealRun:
    """Seal everything committed so far; when another sealer holds the head, try again shortly.

    Retrying matters: the other sealer may have read its batch before this event committed.
    """
    delay = 0.002
    while (run := seal_pending()).busy:
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    if run.refused:
        logger.error("Audit events %s fail their entry MAC and were not sealed: run verify_audit.", run.refused[:20])
    return run


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

    def __str__(self) -> str:
        if self.place:
            where = self.place
        elif self.sequence is not None:
            where = _("row %(sequence)s") % {"sequence": self.sequence}
        else:
            where = _("the end of the log")
        return _("%(where)s: %(problem)s") % {"where": where, "problem": self.problem}


class ChainBroken(Exception):
    def __init__(self, broken: Break):
        super().__init__(str(broken))
        self.broken = broken


def _links(rows: "Iterable[SealedEvent]", *, after_sequence: int, after_hash: str) -> "Iterator[SealedEvent]":
    """Yield each row in turn while it links after the one before; raise ChainBroken at the first that does not."""
    expected_sequence, expected_previous = after_sequence + 1, after_hash
    for event in rows:
        if event.sequence < expected_sequence:
            raise ChainBroken(Break(event.sequence, _("appears again or out of order (row inserted)")))
        if event.sequence > expected_sequence and expected_sequence == after_sequence + 1:
            numbers = {"row": event.sequence, "through": after_sequence, "first": expected_sequence}
            numbers["last"] = event.sequence - 1
            if after_sequence:
                problem = _(
                    "it is row %(row)s, but the purge checkpoint says rows through %(through)s were purged: rows"
                    " %(first)s to %(last)s are missing (removed from the start, or an older checkpoint put back)"
                )
            else:
                problem = _(
                    "it is row %(row)s, but the purge checkpoint says nothing was purged: rows %(first)s to"
                    " %(last)s are missing (removed from the start, or an older checkpoint put back)"
                )
            raise ChainBroken(Break(expected_sequence, problem % numbers, place=_("the start of the log")))
        if event.sequence > expected_sequence:
            problem = _("expected row %(expected)s next, found row %(found)s (rows removed)") % {
                "expected": expected_sequence,
                "found": event.sequence,
            }
            raise ChainBroken(Break(expected_sequence, problem))
        if event.previous_hash != expected_previous:
            raise ChainBroken(Break(event.sequence, _("does not follow the row before it (inserted or reordered)")))
        if not _same(event.row_hash, row_hash(event.previous_hash, event)):
            raise ChainBroken(Break(event.sequence, _("its contents were altered")))
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
    place = _("the purge checkpoint")
    if not _sealed(head.checkpoint_seal, checkpoint_seal(through, head.purged_through_hash, purge_event)):
        problem = _(
            "its seal does not match (rows through %(through)s purged, by the purge at row %(purge)s):"
            " it was set outside the portal, so rows may have been removed from the start"
        ) % {"through": through, "purge": purge_event}
        return Break(None, problem, place=place)
    if purge_event <= through:
        problem = _("it names no audit_purged event after row %(through)s") % {"through": through}
        return Break(None, problem, place=place)
    return None


def _head_problem(head: AuditChainHead) -> Break | None:
    if not _sealed(head.head_seal, head_seal(head.sequence, head.row_hash)):
        problem = _(
            "its seal does not match (row %(row)s): it was rewritten outside the portal, so rows may"
            " have been removed from the end"
        ) % {"row": head.sequence}
        return Break(None, problem, place=_("the chain head"))
    return None


def _purge_event_problem(event: "SealedEvent", *, through: int) -> Break | None:
    """Whether the event the checkpoint names is the audit_purged event that purged through its row."""
    if event.kind != SecurityEvent.Kind.AUDIT_PURGED:
        return Break(event.sequence, _("the purge checkpoint names it as its purge, but it is no audit_purged event"))
    named = purged_through(event.reason)
    if named != through:
        if named is None:
            problem = _(
                "the purge checkpoint is at row %(through)s, but this audit_purged event names no purged-through row"
            )
        else:
            problem = _(
                "the purge checkpoint is at row %(through)s, but this audit_purged event says it purged through"
                " row %(named)s"
            )
        return Break(event.sequence, problem % {"through": through, "named": named})
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


def checkpoint_of(head: AuditChainHead) -> tuple[int, str, int, str]:
    return head.purged_through_sequence, head.purged_through_hash, head.purge_event_sequence, head.checkpoint_seal


def _verify_against(
    head: AuditChainHead | None,
    progress: Callable[[int], None] | None,
    chunk_size: int,
    witness: tuple[int, str] | None,
) -> tuple[Break | None, int]:
    if head is None:
        if SecurityEvent.objects.exists():
            return Break(None, "it is missing", place="the chain head"), 0
        head = AuditChainHead(head_seal=head_seal(0, ""))  # a database no event was ever written to
    problem: Break | str | None
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
    rows = cast(  # sequence__lte matches no unsealed row (NULL): each has its place
        "Iterator[SealedEvent]",
        SecurityEvent.objects.filter(sequence__lte=head.sequence).order_by("sequence").iterator(chunk_size=chunk_size),
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
    later = SecurityEvent.objects.filter(sequence__gt=head.sequence).order_by("sequence").values_list("sequence")
    beyond = cast("tuple[int] | None", later.first())  # sequence__gt matches no NULL
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
    rows = cast(  # sequence__lte matches no unsealed row (NULL): each has its place
        "Iterator[SealedEvent]",
        SecurityEvent.objects.filter(sequence__lte=through_sequence).order_by("sequence").iterator(chunk_size=10_000),
    )
    try:
        for _event in _links(rows, after_sequence=head.purged_through_sequence, after_hash=after_hash):
            pass
    except ChainBroken as broken:
        return broken.broken
    return None


@dataclass
class Unsealed:
    waiting: int = 0
    oldest_at: datetime | None = None
    altered: Break | None = None

    def overdue(self, now: datetime | None = None) -> bool:
        bound = timedelta(seconds=settings.PORTAL_AUDIT_SEAL_MAX_AGE_SECONDS)
        return self.oldest_at is not None and (now or timezone.now()) - self.oldest_at > bound


def check_unsealed() -> Unsealed:
    """The events not yet sealed: how many, since when, and the first whose entry MAC fails."""
    found = Unsealed()
    rows = (
        SecurityEvent.objects.filter(sequence__isnull=True)
        .order_by("id")
        .values_list(*PENDING_COLUMNS, "row_hash")
        .iterator(chunk_size=10_000)
    )
    for row in rows:
        event = _Pending(row)
        if not _same(event.row_hash, entry_mac(event)):
            problem = _(
                "its contents were altered, or it was written outside the portal (its entry MAC does not match)"
            )
            place = _("event %(id)s, not yet sealed") % {"id": event.id}
            found.altered = Break(None, problem, place=place)
            return found
        found.waiting += 1
        if found.oldest_at is None or event.created_at < found.oldest_at:
            found.oldest_at = event.created_at
    return found
