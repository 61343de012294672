"""Describing a client to a member: which browser, roughly where. Best effort, never trusted."""

from functools import lru_cache

import ua_parser
from django.utils.translation import gettext
from geoip2fast import GeoIP2Fast


@lru_cache(maxsize=2048)
def _browser_parts(user_agent: str) -> tuple[str, str, str] | None:
    """(browser, major version, operating system) as ua-parser reads them; None when it cannot."""
    parsed = ua_parser.parse(user_agent)
    if not parsed.user_agent:
        return None
    system = parsed.os.family if parsed.os and parsed.os.family and parsed.os.family != "Other" else ""
    return parsed.user_agent.family, parsed.user_agent.major or "", system


def describe_browser(user_agent: str | None) -> str:
    # Only the parse is cached: the words around it are in the language of whoever reads them.
    parts = _browser_parts(user_agent) if user_agent else None
    if parts is None:
        return gettext("Unknown browser")
    family, major, system = parts
    browser = f"{family} {major}" if major else family
    if system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser


@lru_cache(maxsize=1)
def _geoip() -> GeoIP2Fast:
    return GeoIP2Fast(verbose=False)


@lru_cache(maxsize=4096)
def _country(ip_address: str) -> str | None:
    """The country name of a public address, "" for a private one, None when unknown."""
    result = _geoip().lookup(ip_address)
    if getattr(result, "is_private", False):
        return ""
    return result.country_name if result.country_code not in ("", "--", None) else None


def approximate_place(ip_address: str | None) -> str:
    """A country name for a public address (as the GeoIP data names it); "Local network" for a private one."""
    country = _country(ip_address) if ip_address else None
    if country is None:
        return gettext("Unknown")
    return country or gettext("Local network")
