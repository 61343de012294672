"""The security notices' outbox on django-tasks' database backend: written with the change, retried
with back-off, recovered after a worker dies mid-send, failed ones visible and queued again."""

import io
import smtplib
import zoneinfo
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from security import notices, tasks
from security.audit import Kind as EventKind
from security.models import SecurityEvent, SecurityNotice

Status = SecurityNotice.Status
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def outbox_settings(settings):
    settings.TASKS = DATABASE_TASKS
    settings.PORTAL_NOTICE_RETRY_FIRST_SECONDS = 30
    settings.PORTAL_NOTICE_LEASE_SECONDS = 300
    return settings


class DownBackend(EmailBackend):
    """A mail server that cannot be reached."""

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 No such mailbox")})


class Killed(BaseException):
    """The worker process dying under the attempt: nothing after it runs."""


class DyingBackend(EmailBackend):
    def send_messages(self, messages):
        raise Killed


def queued_tasks():
    """(run after, token) of each delivery task waiting in the database, oldest first."""
    rows = DBTaskResult.objects.filter(status="READY").order_by("run_after")
    return [(row.run_after, row.args_kwargs["args"][1]) for row in rows]


def the_notice():
    (notice,) = SecurityNotice.objects.all()
    return notice


def test_it_writes_nothing_for_a_change_that_rolls_back(outbox_settings, member):
    with pytest.raises(RuntimeError), transaction.atomic():
        notices.password_changed(member)
        raise RuntimeError("the change failed")
    assert not SecurityNotice.objects.exists() and not DBTaskResult.objects.exists()


def test_it_queues_the_notice_and_its_task_without_sending(outbox_settings, member):
    notices.password_changed(member)
    notice = the_notice()
    assert (notice.status, notice.attempts, notice.to_address) == (Status.QUEUED, 0, "alice@example.com")
    assert [token for _, token in queued_tasks()] == [notice.token]
    assert mail.outbox == []  # the request never talks to the mail server


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_delivers_it_once(outbox_settings, make_member):
    member = make_member()
    notices.password_changed(member)
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    ).run()
    notice = the_notice()
    assert (notice.status, notice.attempts, notice.token) == (Status.SENT, 1, "")
    (message,) = mail.outbox
    assert message.subject == "Your password was changed" and message.to == ["alice@example.com"]
    assert message.extra_headers["Message-ID"] == f"<security-notice-{notice.pk}@localhost>"
    # The lease task left for a crash finds the notice sent, and does nothing when its time comes.
    ((_, lease_token),) = queued_tasks()
    assert tasks.attempt_delivery(notice.pk, lease_token) == "not current"
    assert len(mail.outbox) == 1


def test_a_mail_server_that_is_down_is_tried_again_later(outbox_settings, member):
    notices.password_changed(member)
    first = the_notice()
    outbox_settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    before = timezone.now()
    assert tasks.attempt_delivery(first.pk, first.token) == "retry"
    notice = the_notice()
    assert (notice.status, notice.attempts) == (Status.QUEUED, 1)
    assert "Connection refused" in notice.last_error and mail.outbox == []
    retry_at = notice.next_attempt_at
    assert before + timedelta(seconds=30) <= retry_at <= timezone.now() + timedelta(seconds=30)
    assert (retry_at, notice.token) in queued_tasks()

    assert tasks.attempt_delivery(notice.pk, notice.token) == "retry"
    again = the_notice()
    assert timedelta(seconds=60) <= again.next_attempt_at - again.last_attempt_at < timedelta(seconds=61)  # doubled

    outbox_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.attempt_delivery(notice.pk, first.token) == "not current"  # an old task does nothing
    assert tasks.attempt_delivery(notice.pk, the_notice().token) == "sent"
    assert (the_notice().status, the_notice().attempts, len(mail.outbox)) == (Status.SENT, 3, 1)


def test_it_gives_up_after_the_last_attempt_and_an_operator_queues_it_again(outbox_settings, member):
    outbox_settings.PORTAL_NOTICE_MAX_ATTEMPTS = 2
    outbox_settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    notices.two_factor_enabled(member)
    assert tasks.attempt_delivery(the_notice().pk, the_notice().token) == "retry"
    assert tasks.attempt_delivery(the_notice().pk, the_notice().token) == "failed"
    failed = the_notice()
    assert (failed.status, failed.attempts, failed.token) == (Status.FAILED, 2, "")

    out = io.StringIO()
    call_command("notices", "--failed", stdout=out)
    assert f"{failed.pk}\ttwo_factor_enabled\talice\talice@example.com" in out.getvalue()
    assert "2 attempts\tConnectionRefusedError" in out.getvalue() and "1 failed notice(s)." in out.getvalue()

    outbox_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("notices", "--requeue", str(failed.pk), "--reason", "mail relay fixed", stdout=io.StringIO())
    notice = the_notice()
    assert (notice.status, notice.attempts) == (Status.QUEUED, 0)
    event = SecurityEvent.objects.get(kind=EventKind.NOTICE_REQUEUED)
    assert event.member == member and event.actor.startswith("operator:") and "mail relay fixed" in event.reason
    assert tasks.attempt_delivery(notice.pk, notice.token) == "sent" and len(mail.outbox) == 1
    with pytest.raises(CommandError, match="only a failed one"):
        call_command("notices", "--requeue", str(notice.pk))
    with pytest.raises(CommandError, match="No security notice"):
        call_command("notices", "--requeue", "999999")


def test_an_address_the_server_refuses_fails_at_once_and_stays_listed(outbox_settings, member):
    outbox_settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    notices.questions_changed(member)
    assert tasks.attempt_delivery(the_notice().pk, the_notice().token) == "failed"
    notice = the_notice()
    assert (notice.status, notice.attempts) == (Status.FAILED, 1)
    assert notice.last_error == "The mail server refused the address: 550 5.1.1 No such mailbox"


def test_a_member_without_an_address_is_recorded_not_lost(outbox_settings, make_member):
    member = make_member("noemail", email="")
    notices.password_changed(member)
    notice = the_notice()
    assert (notice.status, notice.to_address, notice.last_error) == (Status.FAILED, "", "No email address to send to.")
    assert not DBTaskResult.objects.exists()
    with pytest.raises(CommandError, match="no address"):
        call_command("notices", "--requeue", str(notice.pk))
    member.email = "found@example.com"
    member.save()
    out = io.StringIO()
    call_command("notices", "--all-failed", stdout=out)
    assert "1 of 1 failed notice(s) queued again." in out.getvalue()
    assert the_notice().to_address == "found@example.com"


def test_a_worker_killed_mid_send_is_replaced_when_its_lease_runs_out(outbox_settings, member):
    notices.password_reset(member)
    first = the_notice()
    outbox_settings.EMAIL_BACKEND = f"{__name__}.DyingBackend"
    with pytest.raises(Killed):
        tasks.attempt_delivery(first.pk, first.token)
    stuck = the_notice()
    assert (stuck.status, stuck.attempts) == (Status.SENDING, 1)
    (lease_at,) = [at for at, token in queued_tasks() if token == stuck.token]
    assert lease_at == stuck.last_attempt_at + timedelta(seconds=300)
    lease_token = stuck.token

    outbox_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.attempt_delivery(stuck.pk, lease_token) == "sent"
    notice = the_notice()
    assert (notice.status, notice.attempts, len(mail.outbox)) == (Status.SENT, 2, 1)


def test_a_repeat_within_the_window_is_counted_not_mailed(outbox_settings, member, monkeypatch):
    notices.password_changed(member)
    notices.password_changed(member)
    notices.two_factor_enabled(member)  # another kind is its own notice
    assert SecurityNotice.objects.filter(kind="password_changed").get().repeats == 1
    assert SecurityNotice.objects.count() == 2
    later = timezone.now() + timedelta(seconds=301)
    monkeypatch.setattr(timezone, "now", lambda: later)
    notices.password_changed(member)
    assert SecurityNotice.objects.filter(kind="password_changed").count() == 2


def test_every_confirmation_link_is_sent(outbox_settings, member):
    for n in range(2):
        notices.confirm_new_email(member, "new@example.org", f"https://portal.example/confirm/{n}/", 24)
    assert SecurityNotice.objects.filter(kind="confirm_new_email", to_address="new@example.org").count() == 2


def test_it_is_written_in_the_members_language_and_zone(outbox_settings, make_member):
    member = make_member("lucia", language="es", time_zone="Europe/Madrid")
    with timezone.override(timezone.get_fixed_timezone(0)):
        notices.password_changed(member)
    notice = the_notice()
    assert notice.language == "es" and notice.body.startswith("Hola, Lucia:")
    madrid = timezone.localtime(notice.created_at, zoneinfo.ZoneInfo("Europe/Madrid"))
    # Madrid's time, whatever zone was active, on a 24- or 12-hour clock.
    assert any(shown in notice.body for shown in (f"{madrid:%H:%M}", f"{madrid.hour % 12 or 12}:{madrid:%M}"))
    english = make_member("ann", language="")
    notices.password_changed(english)
    assert SecurityNotice.objects.get(member=english).language == "en-us"


def test_the_support_site_lists_notices_and_queues_a_failed_one_again(outbox_settings, member, role_client):
    outbox_settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    notices.confirm_new_email(member, "new@example.org", "https://portal.example/profile/email/confirm/SECRET/", 24)
    tasks.attempt_delivery(the_notice().pk, the_notice().token)
    support = role_client("Support")
    page = support.get("/admin/security/securitynotice/?status=failed").content.decode()
    assert "new@example.org" in page and "550 5.1.1 No such mailbox" in page
    detail = support.get(f"/admin/security/securitynotice/{the_notice().pk}/change/").content.decode()
    assert "Confirmation link" in detail and "SECRET" not in detail  # the body (the link) is never shown
    response = support.post(
        "/admin/security/securitynotice/",
        {"action": "requeue", "_selected_action": [the_notice().pk]},
        follow=True,
    )
    assert "Queued again: 1." in response.content.decode()
    assert the_notice().status == Status.QUEUED
    assert SecurityEvent.objects.get(kind=EventKind.NOTICE_REQUEUED).actor == support.staff.username
