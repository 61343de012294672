"""Which browsers may sign in: current ones, recognized with ua-parser.

Only a browser we recognize and know to be too old is turned away. An unknown client (a script, a
new browser) is let through: the server's TLS settings are what really shut out weak encryption.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, cast

import ua_parser
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
# Audit tools that run a current engine behind a fixed, older user agent (Lighthouse says Chrome
# 119 whatever Chrome it drives): named, and let through like any client that is not a browser.
AUDIT_TOOLS = {"Chrome-Lighthouse": "Lighthouse"}

DOWNLOADS = {
    "Chrome": "google.com/chrome",
    "Edge": "microsoft.com/edge",
    "Firefox": "firefox.com (including Firefox ESR)",
    "Safari": "Software Update on your Mac, iPhone or iPad",
    "Opera": "opera.com",
    "Samsung Internet": "the Galaxy Store or Google Play",
}


@dataclass(frozen=True)
class Verdict:
    name: str
    version: int | None
    supported: bool


@lru_cache(maxsize=4096)
def judge(user_agent: str | None) -> Verdict:
    for marker, tool in AUDIT_TOOLS.items():
        if marker in (user_agent or ""):
            return Verdict(tool, None, True)
    parsed = ua_parser.parse(user_agent or "").user_agent
    if parsed is None:
        return Verdict("Unknown browser", None, True)
    version = int(parsed.major) if parsed.major and parsed.major.isdigit() else None
    if parsed.family in RETIRED:
        return Verdict(parsed.family, version, False)
    family = FAMILIES.get(parsed.family)
    minimum = settings.PORTAL_MINIMUM_BROWSERS.get(family) if family else None
    if minimum is None or version is None:
        return Verdict(parsed.family, version, True)
    return Verdict(cast(str, family), version, version >= minimum)  # a minimum is only set for a known family


def supported_browsers() -> list[dict[str, Any]]:
    return [
        {"name": name, "minimum": minimum, "where": DOWNLOADS.get(name, "")}
        for name, minimum in settings.PORTAL_MINIMUM_BROWSERS.items()
    ]


def supported_browser_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Show an outdated browser why it cannot go on, instead of a form that takes a secret."""

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
