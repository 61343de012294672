"""The five-strike freeze, on top of django-axes.

django-axes counts failed sign-ins per username and refuses a frozen one before any hash is
computed. On its own it checks, then hashes, then counts: forty simultaneous guesses all pass the
check and all reach the hasher. Here each password check first reserves a slot, under a row lock,
only while failures recorded plus checks in flight stay below the limit; the slot is released
after the failure is committed. So an account never sees more password checks than the limit.
A slot that is never released (a killed worker, a database gone mid-check) expires on its own.

The statements every sign-in runs here (the count of failures, the gate's lock, the reservation
and its release) are written out in SQL (security.sql). Failures are counted per username, the
only lockout parameter (security.E003).
"""

import enum
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from . import notices, sessions, sql
from .audit import Kind, record_event, record_rate_limited
from .models import VerificationGate, VerificationSlot
from .usernames import account_key, find_account, key_for_request

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it

    class CountedRequest(HttpRequest):
        """A request whose check the freeze counts: the attributes axes and this module set on it."""

        axes_locked_out: bool
        portal_slots_busy: bool
        portal_reserved_slot: tuple[str, int] | None


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account's username, or the keyed stand-in of a name that is none.

    Any spelling of an account's name counts under one key (so "Alice" and "ａｌｉｃｅ" share five
    guesses), and a name that is no account's (perhaps a password typed in the wrong box) is never stored.
    """
    source = credentials if credentials is not None else getattr(request, "POST", {})
    username = source.get("username")
    return None if username is None else key_for_request(request, str(username))


def _failures(key: str) -> int:
    """Failed attempts recorded under this lockout key (a username already normalized)."""
    total: int
    (total,) = cast(  # an aggregate: always one row
        "tuple[int]",
        sql.run(
            "SELECT COALESCE(SUM(failures_since_start), 0) FROM {attempts} WHERE username = %s",
            [key],
            attempts=AccessAttempt,
        ),
    )
    return total


def failure_count(username: str) -> int:
    """Failed attempts recorded against this username (any spelling of it)."""
    return _failures(account_key(username))


def is_frozen(username: str) -> bool:
    return failure_count(username) >= settings.PORTAL_FREEZE_AFTER_FAILURES


def _locked_gate(username: str) -> int:
    """Lock this username's gate row until the transaction ends (created if missing); return its
    count of slots taken."""

    def lock() -> tuple[int] | None:
        return sql.run(
            "SELECT in_flight FROM {gate} WHERE username = %s{for_update}", [username], gate=VerificationGate
        )

    row = lock()
    if row is None:
        # The username's first attempt. get_or_create copes with a concurrent first attempt.
        VerificationGate.objects.get_or_create(username=username)
        row = cast("tuple[int]", lock())  # the row exists now
    return row[0]


def _rows_changed(statement: str, params: Sequence[Any]) -> int:
    """Run one UPDATE or DELETE (security.sql's spelling) and return how many rows it changed."""
    tables = {"gate": VerificationGate, "slot": VerificationSlot}
    names = {name: connection.ops.quote_name(model._meta.db_table) for name, model in tables.items()}
    with connection.cursor() as cursor:
        cursor.execute(statement.format(**names), params)
        changed: int = cursor.rowcount
        return changed


def reserve_verification(username: str) -> int | None:
    """Take one of the limit's slots for a password check: its id, or None when none is left.

    `username` is the lockout key (normalized), as the gate and the failures are stored under it.
    Each slot expires PORTAL_VERIFICATION_RESERVATION_SECONDS after it was taken, on its own: a
    slot a killed worker left behind stops counting then, however busy the account is meanwhile.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.PORTAL_VERIFICATION_RESERVATION_SECONDS)
    with transaction.atomic():
        taken = _locked_gate(username)
        expired = taken and _rows_changed(
            "DELETE FROM {slot} WHERE username = %s AND taken_at < %s", [username, sql.timestamp(stale_before)]
        )
        in_flight = taken - expired
        if _failures(username) + in_flight >= settings.PORTAL_FREEZE_AFTER_FAILURES:
            if expired:
                sql.run(
                    "UPDATE {gate} SET in_flight = %s WHERE username = %s", [in_flight, username], gate=VerificationGate
                )
            return None
        slot: int
        (slot,) = cast(  # RETURNING: the inserted row
            "tuple[int]",
            sql.run(
                "INSERT INTO {slot} (username, taken_at) VALUES (%s, %s) RETURNING id",
                [username, sql.timestamp(now)],
                slot=VerificationSlot,
            ),
        )
        sql.run(
            "UPDATE {gate} SET in_flight = %s, last_reserved_at = %s WHERE username = %s",
            [in_flight + 1, sql.timestamp(now), username],
            gate=VerificationGate,
        )
    return slot


def release_verification(request: HttpRequest) -> None:
    """Give the slot back once the check's outcome is committed. Safe to call twice."""
    reserved = getattr(request, "portal_reserved_slot", None)
    if reserved is None:
        return
    cast("CountedRequest", request).portal_reserved_slot = None
    username, slot = reserved
    with transaction.atomic():
        _locked_gate(username)  # the gate first, in the order every path takes them
        if _rows_changed("DELETE FROM {slot} WHERE id = %s", [slot]):  # else it expired and was counted out
            sql.run(
                "UPDATE {gate} SET in_flight = in_flight - 1 WHERE username = %s AND in_flight > 0",
                [username],
                gate=VerificationGate,
            )


@contextmanager
def verification(request: HttpRequest, *, release_on_success: bool = True) -> Iterator[None]:
    """Around authenticate(): give the slot back after an outcome, keep it after an error.

    If recording a failure fails, the slot stays taken until it goes stale, so a broken database
    can never let more password checks through than the limit allows. A sign-in that goes on to
    log the member in leaves the release to login(), in the same transaction.
    """
    try:
        yield
    except ValidationError:
        release_verification(request)
        raise
    if release_on_success:
        release_verification(request)


@contextmanager
def _nothing_of_the_request_kept(request: HttpRequest) -> Iterator[None]:
    """axes copies an attempt's query and form data into its record, masking only the fields it is
    told of; the portal keeps none of it (a mistyped code, or a password in the username box)."""
    kept = request.GET, request.POST
    request.GET = request.POST = QueryDict()
    try:
        yield
    finally:
        request.GET, request.POST = kept


class ReservingDatabaseHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, with the slot reservation and the audit log."""

    def is_allowed(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        username = get_client_username(request, credentials)
        if not username or self.is_blacklisted(request, credentials) or self.is_whitelisted(request, credentials):
            allowed: bool = super().is_allowed(request, credentials)
            return allowed
        # Frozen: refused on one read, without taking any lock (a flood on a frozen account is cheap).
        if _failures(username) >= settings.PORTAL_FREEZE_AFTER_FAILURES:
            return False
        slot = reserve_verification(username)
        if slot is None:
            # Not frozen: every slot is taken by checks under way.
            cast("CountedRequest", request).portal_slots_busy = True
            return False
        cast("CountedRequest", request).portal_reserved_slot = (username, slot)
        return True

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            super().user_login_failed(sender, credentials, request, **kwargs)
            return None
        credentials = credentials or {}
        username = lockout_username(request, credentials)
        door = credentials.get(DOOR_KEY, "")
        if getattr(request, "axes_locked_out", False):  # refused before any check
            super().user_login_failed(sender, credentials, request, **kwargs)
            if username:
                busy = getattr(request, "portal_slots_busy", False)
                kind = Kind.SIGN_IN_REFUSED_BUSY if busy else Kind.SIGN_IN_REFUSED_FROZEN
                record_rate_limited(
                    kind, request=request, username=username, member=find_account(username), reason=door, scope=username
                )
            return None
        member = find_account(username) if username else None
        with transaction.atomic():
            if username:
                # Locks in the order every path takes them: gate, failed attempts, audit head.
                _locked_gate(username)
            with _nothing_of_the_request_kept(request):
                super().user_login_failed(sender, credentials, request, **kwargs)
            # Django masks the code's value but keeps the key: a second-factor check failed.
            kind = Kind.SECOND_FACTOR_FAILED if "otp_token" in credentials else Kind.SIGN_IN_FAILED
            record_event(kind, request=request, username=username or "", member=member, reason=door)
            if getattr(request, "axes_locked_out", False):
                record_event(
                    Kind.ACCOUNT_FROZEN,
                    request=request,
                    username=username,
                    member=member,
                    reason=f"{settings.PORTAL_FREEZE_AFTER_FAILURES} failed sign-in attempts",
                )
                if member is not None:
                    # A session someone else holds must not outlive the member's lock-out.
                    sessions.end_all_sessions(member=member, request=request, reason="account frozen")
                    notices.account_frozen(member, request=request)
        release_verification(request)
        return None

    def user_logged_in(self, sender: Any, request: HttpRequest, user: "Member", **kwargs: Any) -> None:
        """Inside the sign-in's transaction: the count's reset and the slot's release commit together.

        axes' own handler would read the member's failures and delete them one by one, for the sake
        of post_delete receivers that do nothing with this handler; one DELETE does the same. (No
        access log is kept: AXES_DISABLE_ACCESS_LOG.)
        """
        if settings.AXES_RESET_ON_SUCCESS:
            username = lockout_username(request, {"username": user.get_username()})
            sql.run("DELETE FROM {attempts} WHERE username = %s", [username], attempts=AccessAttempt)
        release_verification(request)


# Second factors checked outside sign-in ----------------------------------------------------------

# The credentials key that names the door a counted check came through, for the audit log.
DOOR_KEY = "portal_door"


class CodeCheck(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # counted; request.axes_locked_out says whether it froze the account
    REFUSED_FROZEN = "refused_frozen"  # not checked: the account is frozen
    BUSY = "busy"  # not checked: every check the limit allows is under way; try again in a moment


def counted_code_check(request: HttpRequest, *, member: "Member", check: Callable[[], bool], door: str) -> CodeCheck:
    """A second-factor check by another door than sign-in (the reset tool, turning two-factor off).

    Wrong codes are invalid sign-in attempts too: the check takes a slot under the account's freeze
    exactly as a sign-in does, and a wrong code is counted toward the same five strikes and audited
    as `second_factor_failed` (with the door as reason). A frozen account is refused unchecked.
    """
    credentials = {"username": member.get_username(), "otp_token": "********", DOOR_KEY: door}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return CodeCheck.BUSY if getattr(request, "portal_slots_busy", False) else CodeCheck.REFUSED_FROZEN
    # An error in check() leaves the slot taken until it goes stale: never an uncounted guess.
    if check():
        release_verification(request)
        return CodeCheck.PASSED
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return CodeCheck.FAILED


@transaction.atomic
def freeze_account(*, member: "Member", reason: str, actor: str, request: HttpRequest | None = None) -> bool:
    """Freeze as if the limit of failures had been reached, and end every session. False when it already was."""
    username = account_key(member.get_username())
    _locked_gate(username)
    if is_frozen(username):
        return False
    AccessAttempt.objects.filter(username=username).delete()
    AccessAttempt.objects.create(
        username=username,
        ip_address=None,
        user_agent=f"frozen by {actor}"[:255],
        http_accept="",
        path_info="",
        get_data="",
        post_data="",
        failures_since_start=settings.PORTAL_FREEZE_AFTER_FAILURES,
    )
    record_event(Kind.ACCOUNT_FROZEN, request=request, member=member, actor=actor, reason=reason)
    sessions.end_all_sessions(member=member, request=request, actor=actor, reason="account frozen")
    return True


@transaction.atomic
def unfreeze_account(*, member: "Member", reason: str, actor: str, request: HttpRequest | None = None) -> bool:
    """Clear the failures that froze the account. False when it was not frozen."""
    username = account_key(member.get_username())
    _locked_gate(username)
    if not is_frozen(username):
        return False
    AxesProxyHandler.reset_attempts(username=username)
    sql.run("DELETE FROM {slot} WHERE username = %s", [username], slot=VerificationSlot)
    sql.run("UPDATE {gate} SET in_flight = 0 WHERE username = %s", [username], gate=VerificationGate)
    record_event(Kind.ACCOUNT_UNFROZEN, request=request, member=member, actor=actor, reason=reason)
    # No actor: the member, through the reset tool; else staff or an operator.
    notices.account_unfrozen(member, request=request, by_staff=bool(actor))
    return True


def frozen_usernames() -> "QuerySet[Any, dict[str, Any]]":
    """(username, failures, last attempt) for every username at or over the limit."""
    return (
        AccessAttempt.objects.values("username")
        .annotate(failures=Sum("failures_since_start"), last_attempt=Max("attempt_time"))
        .filter(failures__gte=settings.PORTAL_FREEZE_AFTER_FAILURES)
        .order_by("username")
    )
