import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from security import chain
from security.audit import Kind, record_event
from security.models import AuditChainHead, SecurityEvent, SecurityNotice


def run(name, *args):
    """What an operator running `manage.py <name>` sees: the exit status and the message."""
    out = io.StringIO()
    try:
        call_command(name, *args, stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def record_days_ago(days, member, n):
    # Written and sealed as they were on that day, so the rows are genuine old events.
    event = SecurityEvent(
        kind=Kind.SIGN_IN_FAILED,
        created_at=timezone.now() - timedelta(days=days),
        username=member.username,
        member=member,
        reason=f"n={n}",
    )
    event.row_hash = chain.entry_mac(event)
    event.save(force_insert=True)
    chain.seal_until_done()


@pytest.fixture
def aged_log(member):
    """Rows 1-4 from 4000 days ago, rows 5-6 from 3000 days ago, rows 7-8 from today."""
    for n, days in enumerate([4000, 4000, 4000, 4000, 3000, 3000], start=1):
        record_days_ago(days, member, n)
    record_event(Kind.SIGN_IN_SUCCEEDED, member=member)
    record_event(Kind.SIGNED_OUT, member=member)
    chain.seal_until_done()
    return list(SecurityEvent.objects.order_by("sequence"))


def raw_sql(sql, params=()):
    # What someone with database access would do, bypassing the application entirely.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def sequences():
    return list(SecurityEvent.objects.order_by("sequence").values_list("sequence", flat=True))


def test_it_purges_old_rows_and_the_log_stays_intact(aged_log):
    assert "intact: 8 rows verified" in run("verify_audit")[1]
    status, output = run("purge_audit", "--older-than", "3650")
    assert status == 0 and "4 audit events" in output
    assert sequences() == [5, 6, 7, 8, 9]
    purge_event = SecurityEvent.objects.get(sequence=9)
    assert purge_event.kind == Kind.AUDIT_PURGED
    assert purge_event.reason.startswith("older than 3650 days, purged through row 4: 4 audit events")
    status, output = run("verify_audit")
    assert status == 0 and "The audit log is intact: 5 rows verified." in output


def test_it_seals_the_checkpoint_to_the_purge_event_it_writes(aged_log):
    run("purge_audit", "--older-than", "3650")
    head = AuditChainHead.objects.get()
    assert (head.purged_through_sequence, head.purged_through_hash) == (4, aged_log[3].row_hash)
    assert head.purge_event_sequence == 9
    assert head.checkpoint_seal == chain.checkpoint_seal(4, aged_log[3].row_hash, 9)
    assert head.head_seal == chain.head_seal(9, SecurityEvent.objects.get(sequence=9).row_hash)


def test_it_changes_nothing_on_a_dry_run(aged_log):
    before = list(AuditChainHead.objects.values())
    status, output = run("purge_audit", "--older-than", "3650", "--dry-run")
    assert status == 0 and "Would delete" in output and "4 audit events" in output
    assert sequences() == list(range(1, 9))
    assert list(AuditChainHead.objects.values()) == before


def test_it_purges_twice_and_the_log_stays_intact(aged_log):
    run("purge_audit", "--older-than", "3650")
    run("purge_audit", "--older-than", "2000")
    assert sequences() == [7, 8, 9, 10]
    assert SecurityEvent.objects.get(sequence=10).reason.startswith("older than 2000 days, purged through row 6")
    assert AuditChainHead.objects.get().purge_event_sequence == 10
    assert "intact: 4 rows verified" in run("verify_audit")[1]


def test_it_leaves_the_checkpoint_alone_when_nothing_is_old_enough(aged_log):
    run("purge_audit", "--older-than", "3650")
    status, _ = run("purge_audit", "--older-than", "3650")
    assert status == 0
    assert sequences() == [5, 6, 7, 8, 9, 10]
    latest = SecurityEvent.objects.get(sequence=10)
    assert latest.kind == Kind.AUDIT_PURGED and chain.purged_through(latest.reason) is None
    assert AuditChainHead.objects.get().purge_event_sequence == 9
    assert "intact: 6 rows verified" in run("verify_audit")[1]


def test_it_catches_an_older_genuine_checkpoint_put_back_after_a_later_purge(aged_log):
    run("purge_audit", "--older-than", "3650")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT purged_through_sequence, purged_through_hash, purge_event_sequence, checkpoint_seal"
            " FROM security_auditchainhead WHERE id = 1"
        )
        first_checkpoint = cursor.fetchone()
    run("purge_audit", "--older-than", "2000")
    raw_sql(
        "UPDATE security_auditchainhead SET purged_through_sequence = %s, purged_through_hash = %s,"
        " purge_event_sequence = %s, checkpoint_seal = %s WHERE id = 1",
        list(first_checkpoint),
    )
    status, message = run("verify_audit")
    assert status != 0
    assert "at the start of the log: it is row 7, but the purge checkpoint says rows through 4 were purged" in message
    assert "rows 5 to 6 are missing" in message


def test_it_catches_the_purge_event_cut_off_with_the_end_of_the_log(aged_log):
    run("purge_audit", "--older-than", "3650")
    raw_sql("DELETE FROM security_securityevent WHERE sequence >= %s", [9])
    raw_sql("UPDATE security_auditchainhead SET sequence = %s, row_hash = %s WHERE id = 1", [8, aged_log[7].row_hash])
    status, message = run("verify_audit")
    assert status != 0 and "the chain head: its seal does not match (row 8)" in message


def test_it_refuses_to_purge_over_an_altered_row_and_deletes_nothing(aged_log):
    raw_sql("UPDATE security_securityevent SET reason = %s WHERE sequence = %s", ["nothing to see", 2])
    before = list(AuditChainHead.objects.values())
    status, message = run("purge_audit", "--older-than", "3650")
    assert status != 0
    assert "Nothing was purged: the audit log was tampered with at row 2: its contents were altered" in message
    assert sequences() == list(range(1, 9))
    assert list(AuditChainHead.objects.values()) == before


def test_it_refuses_to_purge_over_rows_removed_before_their_time(aged_log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence = %s", [3])
    status, message = run("purge_audit", "--older-than", "3650")
    assert status != 0 and "Nothing was purged" in message and "expected row 3 next, found row 4" in message
    assert sequences() == [1, 2, 4, 5, 6, 7, 8]


def test_it_refuses_to_purge_after_a_moved_checkpoint(aged_log):
    # Rows 1-2 cut early and the checkpoint moved: a genuine purge must not seal over that.
    raw_sql("DELETE FROM security_securityevent WHERE sequence <= %s", [2])
    raw_sql(
        "UPDATE security_auditchainhead SET purged_through_sequence = %s, purged_through_hash = %s WHERE id = 1",
        [2, aged_log[1].row_hash],
    )
    status, message = run("purge_audit", "--older-than", "3650")
    assert status != 0 and "Nothing was purged" in message
    assert "the purge checkpoint: its seal does not match" in message
    assert sequences() == [3, 4, 5, 6, 7, 8]


def test_it_refuses_a_retention_under_a_day(aged_log):
    status, message = run("purge_audit", "--older-than", "0")
    assert status != 0 and "--older-than must be at least 1 day." in message
    assert sequences() == list(range(1, 9))


def test_it_purges_nothing_when_another_purge_moves_the_checkpoint_meanwhile(aged_log, monkeypatch):
    verify_rows = chain.check_before_purge

    def another_purge_meanwhile(head, *, through_sequence):
        problem = verify_rows(head, through_sequence=through_sequence)
        monkeypatch.setattr(chain, "check_before_purge", verify_rows)
        assert run("purge_audit", "--older-than", "2000")[0] == 0
        return problem

    monkeypatch.setattr(chain, "check_before_purge", another_purge_meanwhile)
    status, message = run("purge_audit", "--older-than", "3650")
    assert status != 0
    assert "Nothing was purged: another purge moved the checkpoint meanwhile. Run purge_audit again." in message
    assert sequences() == [7, 8, 9]
    assert AuditChainHead.objects.get().purged_through_sequence == 6
    assert "intact: 3 rows verified" in run("verify_audit")[1]


def test_it_accepts_a_witness_whose_row_was_purged_since(aged_log):
    older_witness, purged_witness = f"4:{aged_log[3].row_hash}", f"6:{aged_log[5].row_hash}"
    run("purge_audit", "--older-than", "2000")
    assert sequences() == [7, 8, 9]
    for witness in (older_witness, purged_witness):
        status, output = run("verify_audit", "--witness", witness)
        assert status == 0 and "intact: 3 rows verified" in output
    status, message = run("verify_audit", "--witness", f"6:{aged_log[4].row_hash}")
    assert (
        status != 0 and "at the purge checkpoint: it is row 6, but the witness gives that row another hash" in message
    )


def test_it_purges_old_notices_once_they_are_done_with_and_keeps_one_still_waiting(aged_log, member):
    Status = SecurityNotice.Status
    old = timezone.now() - timedelta(days=4000)

    def notice(status, created_at):
        return SecurityNotice.objects.create(
            kind=SecurityNotice.Kind.PASSWORD_CHANGED,
            member=member,
            to_address=member.email,
            subject="s",
            body="b",
            status=status,
            created_at=created_at,
        )

    sent, failed, waiting = notice(Status.SENT, old), notice(Status.FAILED, old), notice(Status.QUEUED, old)
    recent = notice(Status.SENT, timezone.now())
    status, output = run("purge_audit", "--older-than", "3650")
    assert status == 0 and "2 security notices" in output
    assert set(SecurityNotice.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not SecurityNotice.objects.filter(pk__in=[sent.pk, failed.pk]).exists()
    assert "2 security notices" in SecurityEvent.objects.get(kind=Kind.AUDIT_PURGED).reason
