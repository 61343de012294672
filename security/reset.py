"""The self-service password reset: username, security questions, new password.

The progress is a signed token bound to one username and to this browser's session, and it
expires after PORTAL_RESET_STEP_SECONDS. Each step issues a fresh token and the session keeps only
the latest, so an old or replayed step is refused. Every answer check first takes a strike (an
atomic, conditional increment), so even simultaneous guesses get at most the limit of checks.
"""

import enum
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.core import signing
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from . import notices, throttle
from .audit import Kind, record_event, record_rate_limited
from .lockout import CodeCheck, counted_code_check, unfreeze_account
from .models import ResetStrikes
from .usernames import account_key, normalize

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it

    from .lockout import CountedRequest

SALT = "security.reset"
SESSION_KEY = "password_reset_state"
PREFILL_COOKIE = "portal_reset_username"
PREFILL_SECONDS = 15 * 60  # long enough to go from the frozen page to the reset tool


class ResetExpired(Exception):
    """The token is missing, tampered with, expired, replayed or for another step."""


@dataclass(frozen=True)
class ResetState:
    username: str
    step: str
    token: str


def start(request: HttpRequest, username: str) -> ResetState:
    return _issue(request, normalize(username), "answers")


def _issue(request: HttpRequest, username: str, step: str) -> ResetState:
    token = signing.dumps({"u": username, "s": step, "n": secrets.token_urlsafe(16)}, salt=SALT)
    request.session[SESSION_KEY] = token
    return ResetState(username=username, step=step, token=token)


def current(request: HttpRequest, step: str, token: str | None = None) -> ResetState:
    """The state for `step`, if the token (from the form, or the session on GET) is the live one."""
    live = request.session.get(SESSION_KEY)
    token = live if token is None else token
    if not live or token != live:
        raise ResetExpired
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.PORTAL_RESET_STEP_SECONDS)
    except signing.BadSignature:
        raise ResetExpired from None
    if data.get("s") != step:
        raise ResetExpired
    return ResetState(username=data["u"], step=step, token=token)


def finish(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def offer_username(response: HttpResponse, typed: str) -> None:
    """The frozen page's link to the reset tool brings the typed name along, in a signed cookie of
    this browser only (a link from elsewhere can put no name in the form). A cookie, not the
    session: a refused attempt must not cost a session row, however many an attacker sends."""
    response.set_cookie(
        PREFILL_COOKIE,
        signing.dumps(normalize(typed)[:150], salt=SALT),  # base64: any name fits in a header
        max_age=PREFILL_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def offered_username(request: HttpRequest) -> str:
    try:
        return str(signing.loads(request.COOKIES.get(PREFILL_COOKIE, ""), salt=SALT, max_age=PREFILL_SECONDS))
    except signing.BadSignature:  # missing, forged or expired (SignatureExpired is one)
        return ""


def forget_offered_username(response: HttpResponse) -> None:
    response.delete_cookie(PREFILL_COOKIE, samesite="Lax")


def advance(request: HttpRequest, state: ResetState, step: str) -> ResetState:
    return _issue(request, state.username, step)


# Strikes ---------------------------------------------------------------------------------------


class Outcome(enum.Enum):
    """What one check in the reset tool (the answers, or a code) came to."""

    PASSED = "passed"
    FAILED = "failed"
    LOCKED = "locked"  # this username's reset is locked, for a while or until staff unlock it
    THROTTLED = "throttled"  # too many failed checks from this address
    BUSY = "busy"  # the account's freeze has every check it allows under way: try again in a moment


def _strikes(key: str) -> QuerySet[ResetStrikes]:
    return ResetStrikes.objects.filter(username=key)


def is_locked(username: str) -> bool:
    """Whether the reset is locked for this username, for a while or until staff unlock it."""
    return _strikes(account_key(username)).filter(Q(held=True) | Q(locked_until__gt=timezone.now())).exists()


def is_held(username: str) -> bool:
    """Whether the reset stays locked for this username until staff unlock it."""
    return _strikes(account_key(username)).filter(held=True).exists()


def locked_until(username: str) -> datetime | None:
    """When a reset locked for a while unlocks again, rounded up to the minute the page shows;
    None when it is not locked (or is held)."""
    strikes = _strikes(account_key(username)).filter(held=False, locked_until__gt=timezone.now()).first()
    if strikes is None or strikes.locked_until is None:
        return None
    return (strikes.locked_until + timedelta(seconds=59, microseconds=999999)).replace(second=0, microsecond=0)


def take_strike(key: str) -> bool:
    """Count a check before it runs (a conditional increment, so simultaneous checks cannot pass the
    limits); False when the reset is locked. A check that passes gives its strike back."""
    now = timezone.now()
    with transaction.atomic():
        ResetStrikes.objects.get_or_create(username=key)
        # A lock that has run out starts a fresh count for the next period; the total stays.
        _strikes(key).filter(held=False, locked_until__lte=now).update(failures=0, locked_until=None)
        taken = (
            _strikes(key)
            .filter(
                held=False,
                locked_until__isnull=True,
                failures__lt=settings.PORTAL_RESET_FAILURE_LIMIT,
                total_failures__lt=settings.PORTAL_RESET_TOTAL_FAILURE_LIMIT,
            )
            .update(failures=F("failures") + 1, total_failures=F("total_failures") + 1, updated_at=now)
        )
    return bool(taken)


def _give_back_strike(key: str) -> None:
    _strikes(key).filter(failures__gt=0, total_failures__gt=0).update(
        failures=F("failures") - 1, total_failures=F("total_failures") - 1
    )


def _record_failure(request: HttpRequest, *, key: str, member: "Member | None", kinds: Sequence[str]) -> bool:
    """The strike stays. At the period's limit the reset locks for a while; at the total limit it
    stays locked until staff unlock it. Either tells the member. `kinds`: the events to audit the
    failure with. Returns whether the reset is locked now (read under the row's lock, so no second query)."""
    with transaction.atomic():
        strikes = _strikes(key).select_for_update().get()
        for kind in kinds:
            record_event(kind, request=request, username=key, member=member, reason="password reset")
        if strikes.held:
            return True
        if strikes.total_failures >= settings.PORTAL_RESET_TOTAL_FAILURE_LIMIT:
            strikes.held = True
            strikes.save(update_fields=["held"])
            reason = f"{strikes.total_failures} failed checks in all"
            record_event(Kind.RESET_HELD, request=request, username=key, member=member, reason=reason)
            if member is not None:
                notices.reset_held(member, request=request)
        elif strikes.failures >= settings.PORTAL_RESET_FAILURE_LIMIT and strikes.locked_until is None:
            strikes.locked_until = timezone.now() + timedelta(seconds=settings.PORTAL_RESET_LOCK_SECONDS)
            strikes.save(update_fields=["locked_until"])
            record_event(Kind.RESET_LOCKED, request=request, username=key, member=member)
            if member is not None:
                notices.reset_locked(member, request=request)
        return strikes.held or (strikes.locked_until is not None and strikes.locked_until > timezone.now())


def _under_limits(
    request: HttpRequest,
    *,
    username: str,
    member: "Member | None",
    run: Callable[[], tuple[Outcome, Sequence[str]]],
) -> Outcome:
    """One check under the address's limit and the username's strikes, both taken before it runs.

    `run()` returns (Outcome, the kinds to audit a failure with: none when it audited it all itself).
    """
    key = account_key(username)
    if not throttle.reserve(request, throttle.RESET):
        record_rate_limited(Kind.RESET_REFUSED_ADDRESS, request=request, username=key, member=member)
        return Outcome.THROTTLED
    if not take_strike(key):
        throttle.check_passed(request, throttle.RESET)  # nothing was checked
        record_rate_limited(Kind.RESET_REFUSED_LOCKED, request=request, username=key, member=member, scope=key)
        return Outcome.LOCKED
    outcome, failed_kinds = run()
    if outcome in (Outcome.PASSED, Outcome.BUSY):
        _give_back_strike(key)  # a right answer clears no earlier strike, only its own
        throttle.check_passed(request, throttle.RESET)
        return outcome
    throttle.check_failed(request, throttle.RESET)
    locked = _record_failure(request, key=key, member=member, kinds=failed_kinds)
    return Outcome.LOCKED if locked else Outcome.FAILED


def check_answers(
    request: HttpRequest, *, username: str, member: "Member | None", answers_match: Callable[[], bool]
) -> Outcome:
    """The answers step. `member` is None for a name that may not use the tool (unknown, inactive, staff)."""

    def run() -> tuple[Outcome, Sequence[str]]:
        if answers_match():
            with transaction.atomic():
                record_event(Kind.RESET_ANSWERS_PASSED, request=request, username=username, member=member)
            return Outcome.PASSED, ()
        return Outcome.FAILED, (Kind.RESET_ANSWERS_FAILED,)

    return _under_limits(request, username=username, member=member, run=run)


def check_code(request: HttpRequest, *, username: str, member: "Member", code_matches: Callable[[], bool]) -> Outcome:
    """The code step (a member with two-factor sign-in). A wrong code is also an invalid sign-in
    attempt: it counts toward the account's five-strike freeze, unless the account is already frozen,
    which is what the reset is there to undo; then the reset's own strikes alone bound it.

    Audited as the reset's own step too (reset_code_failed / reset_code_passed), beside the
    `second_factor_failed` that every refused code is recorded as."""

    def passed() -> tuple[Outcome, Sequence[str]]:
        with transaction.atomic():
            record_event(Kind.RESET_CODE_PASSED, request=request, username=username, member=member)
        return Outcome.PASSED, ()

    def run() -> tuple[Outcome, Sequence[str]]:
        counted = counted_code_check(request, member=member, check=code_matches, door="password reset")
        # If this code froze the account, that is recorded and told; the reset still answers with its own page.
        cast("CountedRequest", request).axes_locked_out = False
        if counted is CodeCheck.BUSY:
            return Outcome.BUSY, ()
        if counted is CodeCheck.REFUSED_FROZEN:
            if code_matches():
                return passed()
            return Outcome.FAILED, (Kind.SECOND_FACTOR_FAILED, Kind.RESET_CODE_FAILED)
        if counted is CodeCheck.PASSED:
            return passed()
        return Outcome.FAILED, (Kind.RESET_CODE_FAILED,)  # second_factor_failed: already, by the freeze's count

    return _under_limits(request, username=username, member=member, run=run)


@transaction.atomic
def set_new_password(request: HttpRequest, *, member: "Member", form: "SetPasswordForm[Member]") -> None:
    """Set the password, unfreeze the account, and tell the member. Other sessions end with it."""
    member.password_changed_at = timezone.now()
    member.must_change_password = False
    form.save()
    record_event(Kind.PASSWORD_RESET, request=request, member=member)
    # The member proved everything the tool asks: its strikes start again from none.
    _strikes(account_key(member.get_username())).delete()
    unfreeze_account(member=member, reason="password reset with security questions", actor="", request=request)
    notices.password_reset(member, request=request)


@transaction.atomic
def unlock(*, member: "Member", reason: str, actor: str, request: HttpRequest | None = None) -> bool:
    """Staff or an operator unlock the reset tool for a member (after checking who is asking). False
    when it was not locked."""
    strikes = _strikes(account_key(member.get_username())).select_for_update().first()
    if strikes is None or not (strikes.held or (strikes.locked_until and strikes.locked_until > timezone.now())):
        return False
    strikes.delete()
    record_event(Kind.RESET_UNLOCKED, request=request, member=member, actor=actor, reason=reason)
    return True
