"""Which browsers may sign in: those with every feature the pages use, recognized with ua-parser.

Only a browser we recognize and know to lack those features is turned away. An unknown client (a
script, a new browser) is let through: the server's TLS settings are what really shut out weak
encryption. Why each minimum: docs/security.md, "Browser headers and browsers".
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

import ua_parser
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .audit import Kind, record_rate_limited

# ua-parser's names for the same engines and release trains as the browsers in the settings.
FAMILIES = {
    "Chrome": "Chrome",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "Chromium": "Chrome",
    "HeadlessChrome": "Chrome",
    "Edge": "Edge",
    "Edge Mobile": "Edge",
    "Firefox": "Firefox",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Safari": "Safari",
    "Mobile Safari": "Safari",
    "Opera": "Opera",
    "Opera Mobile": "Opera",
    "Samsung Internet": "Samsung Internet",
}
# Never supported at any version.
RETIRED = {"IE", "IE Mobile", "Opera Mini", "Netscape"}
# On an iPhone or iPad every browser draws pages with the system's WebKit, Safari's engine of that
# iOS version: what such a browser can do is told by the iOS version, not by its own number.
IOS = "iOS"
ON_IOS = " on iOS"
APP_BROWSER = "An app's browser"
IOS_NAMES = {
    "Chrome Mobile iOS": "Chrome",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Mobile Safari UI/WKWebView": APP_BROWSER,
}

DOWNLOADS = {
    "Chrome": "google.com/chrome",
    "Edge": "microsoft.com/edge",
    "Firefox": _("firefox.com (including Firefox ESR)"),
    "Safari": _("Software Update on your Mac, iPhone or iPad (on an iPhone or iPad it updates every browser)"),
    "Opera": "opera.com",
    "Samsung Internet": _("the Galaxy Store or Google Play"),
}

Version = tuple[int, ...]


@dataclass(frozen=True)
class Verdict:
    name: str  # in English: the audit log records it
    version: str | None
    supported: bool

    @property
    def label(self) -> str:
        """The name as the refusal page shows it, in the reader's language."""
        browser = self.name.removesuffix(ON_IOS)
        if browser == APP_BROWSER:
            browser = gettext("An app's browser")
        return gettext("%(browser)s on iOS") % {"browser": browser} if self.name.endswith(ON_IOS) else browser


def parse_version(value: object) -> Version:
    """ "15.4" -> (15, 4); a setting may also be a plain number (130)."""
    return tuple(int(part) for part in str(value).split("."))


def numbers(*parts: str | None) -> Version | None:
    """A parsed version's leading numeric parts, or None when it has no major number."""
    found: list[int] = []
    for part in parts:
        if part is None or not part.isdigit():
            break
        found.append(int(part))
    return tuple(found) or None


def shown(version: Version, minimum: Version) -> str:
    """The version as precisely as the minimum is compared: "Safari 15.3" beside a minimum of 15.4,
    "Chrome 87" (not "87.0.4280") beside 88."""
    return ".".join(str(part) for part in version[: max(len(minimum), 1)])


def at_least(version: Version, minimum: Version) -> bool:
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) >= minimum + (0,) * (width - len(minimum))


def minimum_of(family: str) -> Version | None:
    value = settings.PORTAL_MINIMUM_BROWSERS.get(family)
    return None if value is None else parse_version(value)


@lru_cache(maxsize=4096)
def judge(user_agent: str | None) -> Verdict:
    parsed = ua_parser.parse(user_agent or "")
    agent = parsed.user_agent
    if agent is None:
        return Verdict("Unknown browser", None, True)
    if agent.family in RETIRED:
        return Verdict(agent.family, agent.major, False)
    os = parsed.os
    if os is not None and os.family == IOS and FAMILIES.get(agent.family) != "Safari":
        return judge_ios(IOS_NAMES.get(agent.family, agent.family), numbers(os.major, os.minor, os.patch))
    family = FAMILIES.get(agent.family)
    minimum = minimum_of(family) if family else None
    version = numbers(agent.major, agent.minor)
    if family is None or minimum is None or version is None:
        return Verdict(agent.family, agent.major, True)
    return Verdict(family, shown(version, minimum), at_least(version, minimum))


def judge_ios(name: str, ios_version: Version | None) -> Verdict:
    minimum = minimum_of("Safari")
    if minimum is None or ios_version is None:
        return Verdict(f"{name}{ON_IOS}", None, True)
    return Verdict(f"{name}{ON_IOS}", shown(ios_version, minimum), at_least(ios_version, minimum))


def supported_browsers() -> list[dict[str, Any]]:
    return [
        {"name": name, "minimum": minimum, "where": DOWNLOADS.get(name, "")}
        for name, minimum in settings.PORTAL_MINIMUM_BROWSERS.items()
    ]


def supported_browser_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Show a browser that cannot run the pages why it cannot go on, instead of a form that takes a secret."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        verdict = judge(request.headers.get("user-agent", ""))
        if not verdict.supported:
            reason = f"{verdict.name} {verdict.version or ''}".strip()
            record_rate_limited(Kind.BROWSER_REFUSED, request=request, reason=reason)
            context = {"verdict": verdict, "browsers": supported_browsers()}
            return render(request, "security/unsupported_browser.html", context, status=403)
        return view(request, *args, **kwargs)

    return wrapper
