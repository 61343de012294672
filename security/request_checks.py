"""What a request must be before any view reads it, and where it may send the browser next.

RequestChecksMiddleware refuses, with the site's 400 or 405 page and before the session is read:
a method other than GET, HEAD and POST; a NUL byte in the address; a query string longer than
PORTAL_MAX_QUERY_STRING_BYTES; an address or a form body that is not UTF-8 (invalid bytes, encoded
surrogates) or is sent in another charset; a form Django cannot parse (too many fields, too large,
a broken multipart body). A NUL byte inside a form field is left to that field, which names it
(Django's CharField refuses it; choices, dates and numbers do not match it).

safe_next_path() turns a requested `next` into a path on this site, or "" for anything else.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALLOWED_METHODS = ("GET", "HEAD", "POST")
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Django's own limit for a URL it will consider as a redirect target.
MAX_NEXT_LENGTH = 2048

BAD_ADDRESS = gettext_lazy("The web address contains characters that cannot be part of an address on this site.")
BAD_ENCODING = gettext_lazy("The form was not sent as UTF-8 text, so it could not be read.")
TOO_LONG = gettext_lazy("The web address is longer, or has more parts, than this site accepts.")
BAD_FORM = gettext_lazy("The form could not be read: it was too large, had too many fields, or was incomplete.")


class RequestChecksMiddleware:
    """The first check of every request; see the module docstring for what it refuses and why."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return method_not_allowed(request, ALLOWED_METHODS)
        problem = request_problem(request)
        if problem is not None:
            return render(request, "400.html", {"reason": problem}, status=400)
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            # A view's require_http_methods answers with an empty body: give it the site's page.
            response.content = render_to_string("405.html", {}, request)
        return response


def method_not_allowed(request: HttpRequest, allowed: tuple[str, ...]) -> HttpResponse:
    response = render(request, "405.html", status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def request_problem(request: HttpRequest) -> "StrOrPromise | None":
    """Why the request cannot be read as it was sent, or None when it can."""
    if "\x00" in request.path_info:
        return BAD_ADDRESS
    if len(request.META.get("QUERY_STRING", "")) > settings.PORTAL_MAX_QUERY_STRING_BYTES:
        return TOO_LONG
    try:
        request.GET  # noqa: B018 - Django's own limit on the number of fields first
    except SuspiciousOperation:
        return TOO_LONG
    if not _is_clean_form_text(_query_bytes(request), allow_nul=False):
        return BAD_ADDRESS
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        return _form_problem(request)
    return None


def _query_bytes(request: HttpRequest) -> bytes:
    query: str = request.META.get("QUERY_STRING", "")
    try:
        return query.encode("iso-8859-1")  # how WSGI and ASGI servers carry the raw bytes
    except UnicodeEncodeError:
        return query.encode("utf-8")  # already text (Django's test client)


def _form_problem(request: HttpRequest) -> "StrOrPromise | None":
    # Django sets content_params with content_type, which is a form's here.
    charset = cast(dict[str, str], request.content_params).get("charset")
    if charset is not None and charset.strip().lower() != "utf-8":
        # Django ignores an unknown charset and refuses others only once a view reads the form.
        return BAD_ENCODING
    try:
        request.POST  # noqa: B018 - parsed once here, by Django, with its size and field limits
    except (SuspiciousOperation, BadRequest, MultiPartParserError, UnreadablePostError):
        return BAD_FORM
    if request.content_type == "application/x-www-form-urlencoded" and not _is_clean_form_text(
        request.body, allow_nul=True
    ):
        return BAD_ENCODING
    return None


def _is_clean_form_text(raw: bytes, *, allow_nul: bool) -> bool:
    """Whether urlencoded `raw` decodes as UTF-8 throughout, where Django would quietly put U+FFFD."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return allow_nul or not any("\x00" in name or "\x00" in value for name, value in pairs)


def safe_next_path(request: HttpRequest, target: object) -> str:
    """`target` as a path on this site to redirect to, or "" when it is anything else.

    Kept: "/a/path?with=query", or a full URL naming this host and an allowed scheme (reduced to its
    path). Dropped: a bare word (which redirect() would look up as a URL name), another host, "//host",
    and anything with a backslash, whitespace or a control character (CR, LF, NUL, bidi controls),
    which browsers read in ways a server does not.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return ""
    if "\\" in target or any(character.isspace() or not character.isprintable() for character in target):
        return ""
    this_site = {request.get_host()}
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=this_site, require_https=request.is_secure()):
        return ""
    parts = urlsplit(target)
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return ""
    return f"{path}?{parts.query}" if parts.query else path
