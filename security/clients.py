"""Describing a client to a member: which browser, roughly where. Best effort, never trusted."""

from functools import lru_cache

import ua_parser
from geoip2fast import GeoIP2Fast


@lru_cache(maxsize=2048)
def describe_browser(user_agent: str | None) -> str:
    if not user_agent:
        return "Unknown browser"
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else "Unknown browser"
    if parsed.user_agent and parsed.user_agent.major:
        browser = f"{browser} {parsed.user_agent.major}"
    if parsed.os and parsed.os.family and parsed.os.family != "Other":
        browser = f"{browser} on {parsed.os.family}"
    return browser


@lru_cache(maxsize=1)
def _geoip() -> GeoIP2Fast:
    return GeoIP2Fast(verbose=False)


@lru_cache(maxsize=4096)
def approximate_place(ip_address: str | None) -> str:
    """A country name for a public address; "Local network" for a private one."""
    if not ip_address:
        return "Unknown"
    result = _geoip().lookup(ip_address)
    if getattr(result, "is_private", False):
        return "Local network"
    return result.country_name if result.country_code not in ("", "--", None) else "Unknown"
