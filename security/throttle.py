"""Per-address limit on failed sign-ins, across all usernames (credential stuffing).

It refuses further attempts from a noisy address for a while; it never counts toward, or
freezes, any member's account. Kept in the cache, which every app server shares in production.
"""

from django.conf import settings
from django.core.cache import cache

from .audit import client_ip


def _key(request):
    return f"signin-failures:{client_ip(request)}"


def address_is_throttled(request):
    return cache.get(_key(request), 0) >= settings.PORTAL_IP_FAILURE_LIMIT


def count_address_failure(request):
    key = _key(request)
    if hasattr(cache, "count_in_window"):  # Redis (portal.cache): one round trip
        cache.count_in_window(key, settings.PORTAL_IP_FAILURE_WINDOW_SECONDS)
        return
    # The window starts at the address's first failure; add() is a no-op if it already has one.
    cache.add(key, 0, timeout=settings.PORTAL_IP_FAILURE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=settings.PORTAL_IP_FAILURE_WINDOW_SECONDS)
