"""Per-address limits on failed attempts, across all accounts (credential stuffing, answer guessing).

Each door has its own count per client address: sign-in (passwords and second-factor codes) and the
reset tool (security answers and its codes). A count refuses further attempts from a noisy address
for a while; it never counts toward, or freezes, any member's account.

Like the per-account freeze, every check first takes a place in its address's count, in one atomic
increment, and is refused when that goes over the limit; a check that fails keeps its place (it
is the failure), one that passes gives it back. So simultaneous attempts from one address never
run more checks than the limit. Kept in the cache, which every app server shares in production.
"""

import contextlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from .audit import client_ip

RESERVATIONS = "_portal_address_reservations"


@dataclass(frozen=True)
class Door:
    prefix: str
    limit_setting: str
    window_setting: str

    @property
    def limit(self) -> int:
        return getattr(settings, self.limit_setting)

    @property
    def window(self) -> int:
        return getattr(settings, self.window_setting)


SIGN_IN = Door("signin-failures", "PORTAL_IP_FAILURE_LIMIT", "PORTAL_IP_FAILURE_WINDOW_SECONDS")
RESET = Door("reset-failures", "PORTAL_RESET_IP_FAILURE_LIMIT", "PORTAL_RESET_IP_FAILURE_WINDOW_SECONDS")


def _key(request, door: Door) -> str:
    return f"{door.prefix}:{client_ip(request)}"


def _add_one(key: str, window: int) -> int:
    if hasattr(cache, "count_in_window"):  # Redis (portal.cache): one round trip
        return cache.count_in_window(key, window)
    # The window starts at the address's first count; add() is a no-op if it already has one.
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def _give_back(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to give back
        cache.decr(key)


def is_throttled(request, door: Door = SIGN_IN) -> bool:
    """Whether this address has used up its limit at `door` (failures and checks under way)."""
    return cache.get(_key(request, door), 0) >= door.limit


def reserve(request, door: Door = SIGN_IN) -> bool:
    """Take a place for one check at `door`; False (nothing taken) when the address is at its limit."""
    key = _key(request, door)
    if _add_one(key, door.window) > door.limit:
        _give_back(key)
        return False
    request.__dict__.setdefault(RESERVATIONS, {})[door] = key
    return True


def check_passed(request, door: Door = SIGN_IN) -> None:
    """The request's check at `door` passed: its place is given back."""
    key = request.__dict__.get(RESERVATIONS, {}).pop(door, None)
    if key is not None:
        _give_back(key)


def check_failed(request, door: Door = SIGN_IN) -> None:
    """A check failed: a reserved place stays as the failure; with none reserved, one is counted."""
    if request.__dict__.get(RESERVATIONS, {}).pop(door, None) is None:
        _add_one(_key(request, door), door.window)
