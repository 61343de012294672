"""The passkey steps' JSON answers, and the reset tool's passkey step.

A page's script (accounts/static/accounts/passkeys.js) asks for the options, hands them to the
browser, and posts what the browser answered. Every answer is JSON: {"options": ...} to start,
{"redirect": URL} when done, {"error": text} (a 4xx) when not; the text is the member's to read.
"""

import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from . import passkeys, reset
from .audit import Kind, record_event
from .browsers import supported_browser_required
from .usernames import find_account

_Step = TypeVar("_Step", bound=Callable[..., HttpResponse])

BAD_REQUEST = _("Your browser sent something the portal cannot read. Reload the page and try again.")


class BadRequest(Exception):
    pass


def json_step(view: _Step) -> _Step:
    """A passkey step of a signed-in member (or one waiting for the second factor): POST, CSRF, never cached."""
    return csrf_protect(never_cache(require_POST(view)))


def public_json_step(view: _Step) -> _Step:
    """A passkey step anyone may reach (sign-in, the reset tool), refused to a browser that cannot run the pages."""
    return json_step(login_not_required(cast(_Step, supported_browser_required(view))))


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The posted JSON object (at most MAX_RESPONSE_BYTES, UTF-8); BadRequest for anything else."""
    if request.content_type != "application/json":
        raise BadRequest
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > passkeys.MAX_RESPONSE_BYTES:
        raise BadRequest
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest from None
    if not isinstance(data, dict):
        raise BadRequest
    return data


def credential_of(data: dict[str, Any]) -> dict[str, Any]:
    credential = data.get("credential")
    if not isinstance(credential, dict):
        raise BadRequest
    return credential


def text_field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or "\x00" in value:
        raise BadRequest
    return value


def error(message: Any, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": str(message)}, status=status)


def bad_request() -> JsonResponse:
    return error(BAD_REQUEST, 400)


def options(data: dict[str, Any]) -> JsonResponse:
    return JsonResponse({"options": data})


def done(url: str) -> JsonResponse:
    return JsonResponse({"redirect": url})


# The reset tool's second-factor step, with a passkey -------------------------------------------


def _reset_member(request: HttpRequest, data: dict[str, Any]) -> tuple[reset.ResetState, Any]:
    state = reset.current(request, "second_factor", text_field(data, "state"))
    member = find_account(state.username)
    if member is None or not member.is_active or member.is_staff:  # never past the answers step
        raise reset.ResetExpired
    return state, member


RESET_EXPIRED = _("This password reset has expired or was already used. Please start again.")
RESET_LOCKED = _("The password reset is locked for this account. Call Member Support.")


@public_json_step
def reset_options(request: HttpRequest) -> JsonResponse:
    try:
        _state, member = _reset_member(request, read_json(request))
    except BadRequest:
        return bad_request()
    except reset.ResetExpired:
        return error(RESET_EXPIRED, 400)
    return options(passkeys.assertion_options(request, passkeys.RESET, member))


@public_json_step
def reset_passkey(request: HttpRequest) -> JsonResponse:
    """The passkey stands in for the code: nothing to guess, so no strike is taken (a refusal is audited)."""
    try:
        data = read_json(request)
        state, member = _reset_member(request, data)
        credential = credential_of(data)
    except BadRequest:
        return bad_request()
    except reset.ResetExpired:
        return error(RESET_EXPIRED, 400)
    if reset.is_locked(state.username):
        return error(RESET_LOCKED, 403)
    try:
        device = passkeys.complete_assertion(request, passkeys.RESET, credential, member)
    except passkeys.PasskeyRefused as refused:
        return error(refused.message, 403)
    with transaction.atomic():
        record_event(Kind.RESET_CODE_PASSED, request=request, member=member, reason=f"with {passkeys.label(device)}")
        passkeys.record_use(request, device, passkeys.RESET)
    reset.advance(request, state, "password")
    return done(reverse("password_reset:password"))
