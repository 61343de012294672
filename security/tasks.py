"""Delivering the security notices' outbox (SecurityNotice) with django-tasks' database backend.

The library's worker (`manage.py db_worker`) runs each task once and never retries, so attempts,
back-off and recovery are kept on the notice row:

- Each row has one current task, named by its token; any other task for it (an old lease, a
  duplicate) finds a different token and does nothing.
- An attempt marks the row SENDING and, in that same commit, queues the next task for when its
  lease runs out (PORTAL_NOTICE_LEASE_SECONDS). A worker killed mid-send leaves that task behind,
  and it makes the attempt again: nothing is lost, and no sweep is needed.
- A failure queues the next attempt after a doubling delay; a refusal for good (the server rejects
  the address) or the last attempt makes the row FAILED, for staff to see and queue again.
- The message is recorded as sent right after the server accepts it, before the connection's QUIT:
  a notice is sent twice only if the worker dies in between (one database commit), or if an attempt
  outlasts its lease.
"""

import contextlib
import logging
import secrets
import smtplib
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task, task_backends
from django_tasks_db import DatabaseBackend

from .audit import Kind, record_event
from .models import SecurityNotice

logger = logging.getLogger(__name__)

Status = SecurityNotice.Status


def _new_token() -> str:
    return secrets.token_hex(16)


@task()
def deliver_notice(notice_id: int, token: str) -> str:
    """One delivery attempt, once the transaction that queued it has committed."""
    if transaction.get_connection().in_atomic_block:
        # Run in the change's own transaction (the tests' immediate backend): send after its commit.
        transaction.on_commit(partial(attempt_delivery, notice_id, token))
        return "after commit"
    return attempt_delivery(notice_id, token)


def schedule(notice: SecurityNotice, at: datetime | None = None) -> None:
    """Queue the task that acts for `notice.token`, now or at `at`, in the caller's transaction."""
    if at is not None and not task_backends[deliver_notice.backend].supports_defer:
        return  # a backend that cannot run a task later: the row waits for `notices --requeue`
    job = deliver_notice if at is None else deliver_notice.using(run_after=at)
    job.enqueue(notice.pk, notice.token)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling, up to the longest."""
    first = settings.PORTAL_NOTICE_RETRY_FIRST_SECONDS
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), settings.PORTAL_NOTICE_RETRY_LONGEST_SECONDS))


def attempt_delivery(notice_id: int, token: str) -> str:
    """Claim the notice, send it, record the outcome. Returns what happened, for the task's result."""
    with transaction.atomic():
        notice = SecurityNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or notice.token != token or notice.status not in (Status.QUEUED, Status.SENDING):
            return "not current"
        if notice.status == Status.SENDING:
            # The lease ran out: the attempt holding it never recorded its outcome (its worker died).
            notice.last_error = "The previous attempt did not finish (the worker stopped)."
        now = timezone.now()
        notice.attempts += 1
        notice.status = Status.SENDING
        notice.last_attempt_at = now
        notice.token = _new_token()
        notice.next_attempt_at = now + timedelta(seconds=settings.PORTAL_NOTICE_LEASE_SECONDS)
        notice.save(update_fields=["attempts", "status", "last_attempt_at", "token", "next_attempt_at", "last_error"])
        schedule(notice, at=notice.next_attempt_at)
    try:
        _send(notice)
    except Exception as error:  # noqa: BLE001  whatever went wrong, the row records it and retries
        return _record_failure(notice, error)
    return "sent"


def _send(notice: SecurityNotice) -> None:
    message = EmailMessage(
        notice.subject,
        notice.body,
        None,
        [notice.to_address],
        # The same Message-ID on every attempt, so a mail system can recognise the rare duplicate.
        headers={"Message-ID": f"<security-notice-{notice.pk}@{_message_domain()}>"},
    )
    connection = get_connection(fail_silently=False)
    connection.open()
    try:
        connection.send_messages([message])
        # Accepted: record it now, before QUIT, so the window for a duplicate is this commit alone.
        _record_sent(notice)
    finally:
        # Accepted and recorded: a QUIT that fails changes nothing.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()


def _message_domain() -> str:
    address = str(settings.DEFAULT_FROM_EMAIL).rsplit("@", 1)[-1].strip(" >")
    return address or "localhost"


def _record_sent(notice: SecurityNotice) -> None:
    with transaction.atomic():
        SecurityNotice.objects.filter(pk=notice.pk).exclude(status=Status.SENT).update(
            status=Status.SENT, sent_at=timezone.now(), token="", next_attempt_at=None, last_error=""
        )


def refused_for_good(error: BaseException) -> bool:
    """A permanent refusal (5xx) of the recipient or of the message: sending it again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def describe_error(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{code} {reply.decode(errors='replace')}" for code, reply in error.recipients.values())
        return f"The mail server refused the address: {replies}"[:1000]
    return f"{type(error).__name__}: {error}"[:1000]


def _record_failure(notice: SecurityNotice, error: BaseException) -> str:
    with transaction.atomic():
        current = SecurityNotice.objects.select_for_update().filter(pk=notice.pk, token=notice.token).first()
        if current is None or current.status != Status.SENDING:
            return "not current"  # recorded meanwhile by the attempt that took over
        current.last_error = describe_error(error)
        if refused_for_good(error) or current.attempts >= settings.PORTAL_NOTICE_MAX_ATTEMPTS:
            current.status, current.token, current.next_attempt_at = Status.FAILED, "", None
            outcome = "failed"
        else:
            current.status, current.token = Status.QUEUED, _new_token()
            current.next_attempt_at = timezone.now() + retry_delay(current.attempts)
            schedule(current, at=current.next_attempt_at)
            outcome = "retry"
        current.save(update_fields=["status", "token", "next_attempt_at", "last_error"])
    logger.warning("Security notice %s, attempt %s: %s (%s)", notice.pk, current.attempts, current.last_error, outcome)
    return outcome


# Staff and operators -------------------------------------------------------------------------


def failed_notices() -> QuerySet[SecurityNotice]:
    return SecurityNotice.objects.filter(status=Status.FAILED).select_related("member")


@transaction.atomic
def requeue(notice: SecurityNotice, *, actor: str, reason: str = "") -> bool:
    """Give a failed (or stuck) notice a fresh set of attempts, now; audited. False when it cannot be:
    already sent or being sent, or still no address to send to."""
    locked = SecurityNotice.objects.select_for_update().filter(pk=notice.pk).first()
    if locked is None or locked.status not in (Status.FAILED, Status.QUEUED):
        return False
    if not locked.to_address and locked.member is not None and locked.kind in _TO_MEMBER_ADDRESS:
        locked.to_address = locked.member.email  # an address added since
    if not locked.to_address:
        return False
    locked.status, locked.attempts, locked.token, locked.next_attempt_at = Status.QUEUED, 0, _new_token(), None
    locked.save(update_fields=["status", "attempts", "token", "next_attempt_at", "to_address"])
    note = f"{locked.get_kind_display()} notice {locked.pk}" + (f": {reason}" if reason else "")
    record_event(Kind.NOTICE_REQUEUED, member=locked.member, actor=actor, reason=note)
    schedule(locked)
    notice.refresh_from_db()
    return True


# The kinds sent to the member's own address (the others go to an old or a new one).
_TO_MEMBER_ADDRESS = set(SecurityNotice.Kind) - {
    SecurityNotice.Kind.EMAIL_CHANGED,
    SecurityNotice.Kind.CONFIRM_NEW_EMAIL,
}


def describe(notice: SecurityNotice) -> dict[str, Any]:
    """One notice as the operator's list shows it."""
    return {
        "id": notice.pk,
        "kind": notice.kind,
        "member": notice.member.get_username() if notice.member else "",
        "to": notice.to_address,
        "created": notice.created_at,
        "attempts": notice.attempts,
        "error": notice.last_error,
    }


# System checks on the delivery settings -------------------------------------------------------

# SMTP operations an attempt may wait on (connect, greeting, EHLO, STARTTLS, MAIL, RCPT, DATA, QUIT...).
_SMTP_STEPS = 10


@register(Tags.security)
def check_notice_lease(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    # A lease shorter than one slow attempt would start a second attempt beside it: a duplicate notice.
    if settings.PORTAL_NOTICE_LEASE_SECONDS < _SMTP_STEPS * settings.EMAIL_TIMEOUT:
        return [
            Warning(
                gettext(
                    "PORTAL_NOTICE_LEASE_SECONDS is shorter than a slow attempt may take "
                    "(%(steps)d SMTP steps of EMAIL_TIMEOUT each)."
                )
                % {"steps": _SMTP_STEPS},
                hint=gettext("Raise it to at least %(seconds)s, or lower EMAIL_TIMEOUT.")
                % {"seconds": _SMTP_STEPS * settings.EMAIL_TIMEOUT},
                id="security.W040",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_notice_backend(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    backend = task_backends[deliver_notice.backend]
    if not isinstance(backend, DatabaseBackend):
        return [
            Warning(
                gettext(
                    "Security notices are queued with %(backend)s, not in the database: a notice is "
                    "then not written in the transaction of its change, and is not retried."
                )
                % {"backend": type(backend).__name__},
                hint=gettext('Set TASKS["default"]["BACKEND"] to "django_tasks_db.DatabaseBackend" and run db_worker.'),
                id="security.W041",
            )
        ]
    return []
