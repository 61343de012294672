"""Per-address limits on failed attempts, across all accounts (credential stuffing, answer guessing).

Each door has its own count per client address: sign-in (passwords and second-factor codes) and the
reset tool (security answers and its codes). A count refuses further attempts from a noisy address
for a while; it never counts toward, or freezes, any member's account.

Like the per-account freeze, every check first takes a place in its address's count, in one atomic
increment, and is refused when that goes over the limit; a check that fails keeps its place (it
is the failure), one that passes gives it back. So simultaneous attempts from one address never
run more checks than the limit. Kept in the cache, which every app server shares in production.

When the cache fails (refused, timed out, out of memory), the counts are kept in this process
instead, with the same limits and windows, and a warning says so at most once a minute; the cache
is tried again PORTAL_CACHE_RETRY_SECONDS later. Sign-in never fails for the cache's sake: the
per-account freeze, which must hold exactly, is in the database (security/lockout.py).
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .addresses import client_ip

try:
    from redis.exceptions import RedisError
except ImportError:  # no Redis client installed: the local-memory cache raises nothing of its own
    RedisError = OSError  # type: ignore[misc, assignment]  # a stand-in for the class redis would define

# Whatever a cache call can raise when its server is gone, hung or refusing writes.
CACHE_ERRORS = (RedisError, OSError)

_T = TypeVar("_T")

RESERVATIONS = "_portal_address_reservations"
WARNING_SECONDS = 60

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Door:
    prefix: str
    limit_setting: str
    window_setting: str

    @property
    def limit(self) -> int:
        limit: int = getattr(settings, self.limit_setting)
        return limit

    @property
    def window(self) -> int:
        window: int = getattr(settings, self.window_setting)
        return window


SIGN_IN = Door("signin-failures", "PORTAL_IP_FAILURE_LIMIT", "PORTAL_IP_FAILURE_WINDOW_SECONDS")
RESET = Door("reset-failures", "PORTAL_RESET_IP_FAILURE_LIMIT", "PORTAL_RESET_IP_FAILURE_WINDOW_SECONDS")


class LocalCounts:
    """Counts that expire like the cache's, kept in this process, safe to share between threads."""

    MAX_KEYS = 50_000  # an outage's spray of addresses must not grow a worker without bound

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, list[Any]] = {}  # key -> [value, expires at on the clock]

    def _live(self, key: str, now: float) -> list[Any] | None:
        entry = self._entries.get(key)
        if entry is not None and entry[1] <= now:
            del self._entries[key]
            return None
        return entry

    def _make_room(self, now: float) -> None:
        if len(self._entries) < self.MAX_KEYS:
            return
        for key in [key for key, entry in self._entries.items() if entry[1] <= now]:
            del self._entries[key]
        while len(self._entries) >= self.MAX_KEYS:  # still full: the oldest counts go first
            del self._entries[next(iter(self._entries))]

    def add_one(self, key: str, window: float) -> int:
        now = self._clock()
        with self._lock:
            entry = self._live(key, now)
            if entry is None:
                self._make_room(now)
                entry = self._entries[key] = [0, now + window]  # the window starts with the first count
            entry[0] += 1
            count: int = entry[0]
            return count

    def give_back(self, key: str) -> None:
        with self._lock:
            entry = self._live(key, self._clock())
            if entry is not None and entry[0] > 0:
                entry[0] -= 1

    def get(self, key: str) -> int:
        with self._lock:
            entry = self._live(key, self._clock())
            return 0 if entry is None else entry[0]

    def add(self, key: str, timeout: float) -> bool:
        """Like cache.add(): True if the key was not there (and now is)."""
        now = self._clock()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._make_room(now)
            self._entries[key] = [1, now + timeout]
            return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local_counts = LocalCounts()
_state_lock = threading.Lock()
_cache_retry_at = 0.0  # monotonic time before which the cache is not tried again
_warned_at = None


def cache_failed(error: Exception) -> None:
    """Note a cache error: count in this process for a while, and say so (at most once a minute)."""
    global _cache_retry_at, _warned_at
    now = time.monotonic()
    with _state_lock:
        _cache_retry_at = now + settings.PORTAL_CACHE_RETRY_SECONDS
        warn = _warned_at is None or now - _warned_at >= WARNING_SECONDS
        if warn:
            _warned_at = now
    if warn:
        logger.warning(
            "Cache unavailable (%s: %s): per-address limits degraded to a count in this process "
            "until it answers again; the per-account freeze is unaffected.",
            type(error).__name__,
            error,
        )


def reset_fallback() -> None:
    """Forget this process's counts and any cache error (tests)."""
    global _cache_retry_at, _warned_at
    with _state_lock:
        _cache_retry_at, _warned_at = 0.0, None
    local_counts.clear()


def _with_fallback(shared: Callable[[], _T], local: Callable[[], _T]) -> tuple[_T, bool]:
    """(shared(), True) from the cache, or (local(), False) while the cache is failing."""
    if time.monotonic() >= _cache_retry_at:
        try:
            return shared(), True
        except CACHE_ERRORS as error:
            cache_failed(error)
    return local(), False


def add_once(key: str, timeout: int) -> bool:
    """cache.add(key, 1, timeout): True the first time within `timeout`, on this process's count
    while the cache is failing."""
    added, _ = _with_fallback(lambda: cache.add(key, 1, timeout=timeout), lambda: local_counts.add(key, timeout))
    return added


def _key(request: HttpRequest, door: Door) -> str:
    return f"{door.prefix}:{client_ip(request)}"


def _add_one_shared(key: str, window: int) -> int:
    if hasattr(cache, "count_in_window"):  # Redis (portal.cache): one round trip
        count: int = cache.count_in_window(key, window)
        return count
    # The window starts at the address's first count; add() is a no-op if it already has one.
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def _add_one(key: str, window: int) -> tuple[int, bool]:
    """Count one at `key`: (the count, whether it is the shared one)."""
    return _with_fallback(lambda: _add_one_shared(key, window), lambda: local_counts.add_one(key, window))


def _give_back(key: str, shared: bool) -> None:
    if not shared:
        local_counts.give_back(key)
        return
    try:
        with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to give back
            cache.decr(key)
    except CACHE_ERRORS as error:  # the place stays counted until its window ends: never too few
        cache_failed(error)


def is_throttled(request: HttpRequest, door: Door = SIGN_IN) -> bool:
    """Whether this address has used up its limit at `door` (failures and checks under way)."""
    key = _key(request, door)
    count: int
    count, _ = _with_fallback(lambda: cache.get(key, 0), lambda: local_counts.get(key))
    return count >= door.limit


def reserve(request: HttpRequest, door: Door = SIGN_IN) -> bool:
    """Take a place for one check at `door`; False (nothing taken) when the address is at its limit."""
    key = _key(request, door)
    count, shared = _add_one(key, door.window)
    if count > door.limit:
        _give_back(key, shared)
        return False
    request.__dict__.setdefault(RESERVATIONS, {})[door] = (key, shared)
    return True


def check_passed(request: HttpRequest, door: Door = SIGN_IN) -> None:
    """The request's check at `door` passed: its place is given back (where it was taken)."""
    reserved = request.__dict__.get(RESERVATIONS, {}).pop(door, None)
    if reserved is not None:
        _give_back(*reserved)


def check_failed(request: HttpRequest, door: Door = SIGN_IN) -> None:
    """A check failed: a reserved place stays as the failure; with none reserved, one is counted."""
    if request.__dict__.get(RESERVATIONS, {}).pop(door, None) is None:
        _add_one(_key(request, door), door.window)
