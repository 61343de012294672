"""Argon2id with the portal's cost, a bound on the hashes a process computes at once, and a bound
on the password checks waiting for them.

A check that arrives while PORTAL_HASH_QUEUE_LIMIT others already wait in this process is refused
at once (HashQueueFull, the busy page) instead of holding one more thread for the whole queue.
"""

import threading
from types import TracebackType

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()

_queue_lock = threading.Lock()
_waiting = 0
# Per thread: the QueuePlaces a request holds, innermost last.
_places = threading.local()


def hash_slots() -> threading.BoundedSemaphore:
    """The semaphore that bounds how many Argon2 hashes this process computes at once."""
    size = settings.PORTAL_ARGON2_HASHES_AT_ONCE
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


class HashQueueFull(Exception):
    """PORTAL_HASH_QUEUE_LIMIT password checks already wait for this process's hash slots."""


def waiting_checks() -> int:
    """Password checks in this process that wait for a hash slot, or hold a QueuePlace not yet used."""
    return _waiting


class QueuePlace:
    """A place in this process's queue for the hash of one password check, taken when made.

    Made before the check touches anything else (the address limit, the account's freeze), so a
    refusal counts nothing; raises HashQueueFull when the queue is full. The first hash inside
    `with place:` waits in the place already counted; further hashes of the same check (a re-hash
    after an upgrade) wait too, never refused halfway through a check.
    """

    def __init__(self) -> None:
        global _waiting
        with _queue_lock:
            if _waiting >= settings.PORTAL_HASH_QUEUE_LIMIT:
                raise HashQueueFull
            _waiting += 1
        self.unused = True

    def __enter__(self) -> "QueuePlace":
        _places.stack = [*getattr(_places, "stack", []), self]
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        global _waiting
        _places.stack = _places.stack[:-1]
        with _queue_lock:
            if self.unused:
                self.unused = False
                _waiting -= 1


class _HashSlot:
    """Wait for one of the process's hash slots, counted among the waiting checks meanwhile."""

    def __enter__(self) -> "_HashSlot":
        global _waiting
        stack = getattr(_places, "stack", [])
        with _queue_lock:
            if stack and stack[-1].unused:
                stack[-1].unused = False  # its place, already counted, is the one it waits in
            else:
                # Hashes outside a QueuePlace (other doors, commands) wait too; they are never refused.
                _waiting += 1
        self.slots = hash_slots()
        try:
            self.slots.acquire()
        finally:
            with _queue_lock:
                _waiting -= 1
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.slots.release()


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the cost in settings; a hash made with other parameters is upgraded at sign-in.

    Each process computes at most PORTAL_ARGON2_HASHES_AT_ONCE hashes at a time (default 1, with one
    worker process per core); its other threads go on with their database work meanwhile. More
    hashes at once than cores would not finish any sooner: they would share the cores, and each
    hash's memory (19 MiB and up) would push the others' out of the processor's caches, so every
    hash costs more CPU (measured with bench/signin.py: 27.8 ms instead of 24.9 ms).
    """

    # Read-only properties where Django has plain attributes: the cost follows the settings at each use.
    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.PORTAL_ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.PORTAL_ARGON2_MEMORY_KIB

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return settings.PORTAL_ARGON2_PARALLELISM

    def encode(self, password: str, salt: str) -> str:
        with _HashSlot():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        with _HashSlot():
            return super().verify(password, encoded)
