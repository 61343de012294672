"""The self-service password reset: username, security questions, new password.

The progress is a signed token bound to one username and to this browser's session, and it
expires after PORTAL_RESET_STEP_SECONDS. Each step issues a fresh token and the session keeps only
the latest, so an old or replayed step is refused. Every answer check first takes a strike (an
atomic, conditional increment), so even simultaneous guesses get at most the limit of checks.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import normalize_username

from . import notices
from .audit import Kind, record_event
from .lockout import unfreeze_account
from .models import ResetStrikes

SALT = "security.reset"
SESSION_KEY = "password_reset_state"


class ResetExpired(Exception):
    """The token is missing, tampered with, expired, replayed or for another step."""


@dataclass(frozen=True)
class ResetState:
    username: str
    step: str
    token: str


def start(request, username):
    return _issue(request, normalize_username(username), "answers")


def _issue(request, username, step):
    token = signing.dumps({"u": username, "s": step, "n": secrets.token_urlsafe(16)}, salt=SALT)
    request.session[SESSION_KEY] = token
    return ResetState(username=username, step=step, token=token)


def current(request, step, token=None):
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


def finish(request):
    request.session.pop(SESSION_KEY, None)


def advance(request, state, step):
    return _issue(request, state.username, step)


# Strikes ---------------------------------------------------------------------------------------


def is_locked(username):
    return ResetStrikes.objects.filter(username=username, locked_until__gt=timezone.now()).exists()


def take_strike(username):
    """Count this answer check before it runs; False when the username's reset is locked."""
    now = timezone.now()
    limit = settings.PORTAL_RESET_FAILURE_LIMIT
    with transaction.atomic():
        ResetStrikes.objects.get_or_create(username=username)
        # A lock that has run out starts a fresh count.
        ResetStrikes.objects.filter(username=username, locked_until__lte=now).update(failures=0, locked_until=None)
        taken = ResetStrikes.objects.filter(Q(locked_until__isnull=True), username=username, failures__lt=limit).update(
            failures=F("failures") + 1, updated_at=now
        )
    return bool(taken)


def record_wrong_answers(request, *, username, member, kind=Kind.RESET_ANSWERS_FAILED):
    """The strike stays; the fifth locks the reset for a while and tells the member."""
    with transaction.atomic():
        strikes = ResetStrikes.objects.select_for_update().get(username=username)
        record_event(kind, request=request, username=username, member=member)
        if strikes.failures >= settings.PORTAL_RESET_FAILURE_LIMIT and strikes.locked_until is None:
            strikes.locked_until = timezone.now() + timedelta(seconds=settings.PORTAL_RESET_LOCK_SECONDS)
            strikes.save(update_fields=["locked_until"])
            record_event(Kind.RESET_LOCKED, request=request, username=username, member=member)
            if member is not None:
                notices.reset_locked(member)


LOCKED = "locked"


def check_under_strikes(request, *, username, member, check, failed_kind):
    """One check of the reset (answers or a code) under its strike limit: the strike is taken
    before `check` runs. Returns True when it passed, False when not, LOCKED when locked."""
    if not take_strike(username):
        record_event(Kind.RESET_REFUSED_LOCKED, request=request, username=username, member=member)
        return LOCKED
    if check():
        record_right_answers(request, username=username, member=member)
        return True
    record_wrong_answers(request, username=username, member=member, kind=failed_kind)
    return LOCKED if is_locked(username) else False


def record_right_answers(request, *, username, member):
    with transaction.atomic():
        ResetStrikes.objects.filter(username=username).delete()
        record_event(Kind.RESET_ANSWERS_PASSED, request=request, username=username, member=member)


@transaction.atomic
def set_new_password(request, *, member, form):
    """Set the password, unfreeze the account, and tell the member. Other sessions end with it."""
    member.password_changed_at = timezone.now()
    member.must_change_password = False
    form.save()
    record_event(Kind.PASSWORD_RESET, request=request, member=member)
    unfreeze_account(member=member, reason="password reset with security questions", actor="", request=request)
    notices.password_reset(member)
