import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from security.audit import Kind, record_event
from security.models import SecurityEvent


def verify():
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


@pytest.fixture
def log(member):
    for n in range(6):
        record_event(Kind.SIGN_IN_FAILED, username=f"guess-{n}", member=member, reason=f"n={n}")
    return list(SecurityEvent.objects.order_by("sequence"))


def raw_sql(sql, params=()):
    # What someone with database access would do, bypassing the application entirely.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_reports_an_intact_log(log):
    assert "The audit log is intact: 6 rows verified." in verify()


def test_it_catches_a_row_edited_by_hand(log):
    raw_sql("UPDATE security_securityevent SET username = %s WHERE sequence = %s", ["someone-else", 3])
    with pytest.raises(CommandError, match="tampered with at row 3: its contents were altered. 2 rows before it"):
        verify()


def test_it_catches_a_removed_row(log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence = %s", [4])
    with pytest.raises(CommandError, match=r"at row 4: expected row 4 next, found row 5 \(rows removed\)"):
        verify()


def test_it_catches_rows_cut_from_the_end(log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence >= %s", [5])
    with pytest.raises(CommandError, match="the log ends at row 4 but the chain head is row 6"):
        verify()


def test_it_catches_an_inserted_row_even_with_a_plausible_hash(log):
    forged = log[2]
    raw_sql("UPDATE security_securityevent SET sequence = sequence + 100 WHERE sequence > %s", [forged.sequence])
    raw_sql(
        "INSERT INTO security_securityevent (sequence, created_at, kind, username, actor, user_agent, reason,"
        " previous_hash, row_hash) VALUES (%s, %s, %s, %s, '', '', '', %s, %s)",
        [forged.sequence + 1, timezone.now(), "sign_in_succeeded", "attacker", forged.row_hash, "f" * 64],
    )
    with pytest.raises(CommandError, match="row 4: its contents were altered"):
        verify()


def test_it_catches_a_reordered_row(log):
    raw_sql("UPDATE security_securityevent SET previous_hash = %s WHERE sequence = %s", [log[0].row_hash, 5])
    with pytest.raises(CommandError, match="row 5: does not follow the row before it"):
        verify()


def test_it_stays_verifiable_after_a_purge(log, member):
    SecurityEvent.objects.filter(sequence__lte=4).update(created_at=timezone.now() - timedelta(days=4000))
    # Moving the dates by hand is itself tampering; re-link those rows as if they had been written then.
    from security import chain

    previous = chain.GENESIS
    for event in SecurityEvent.objects.order_by("sequence"):
        event.previous_hash, event.row_hash = previous, chain.row_hash(previous, event)
        event.save(update_fields=["previous_hash", "row_hash"])
        previous = event.row_hash
    head = chain.AuditChainHead.objects.get()
    head.row_hash = previous
    head.save()
    assert "6 rows verified" in verify()

    out = io.StringIO()
    call_command("purge_audit", "--older-than", "3650", "--dry-run", stdout=out)
    assert "4 audit events" in out.getvalue() and SecurityEvent.objects.count() == 6
    call_command("purge_audit", "--older-than", "3650", stdout=out)
    assert list(SecurityEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == [5, 6, 7]
    assert SecurityEvent.objects.get(sequence=7).kind == Kind.AUDIT_PURGED
    assert "3 rows verified" in verify()
    raw_sql("DELETE FROM security_securityevent WHERE sequence = %s", [5])
    with pytest.raises(CommandError, match="expected row 5 next, found row 6"):
        verify()


def test_it_never_offers_to_change_or_delete_an_event_in_the_admin(staff_client, log):
    event = log[0]
    assert staff_client.get(f"/admin/security/securityevent/{event.pk}/change/").status_code == 200
    response = staff_client.post(f"/admin/security/securityevent/{event.pk}/change/", {"username": "x"})
    assert response.status_code == 403
    assert staff_client.post(f"/admin/security/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.get("/admin/security/securityevent/add/").status_code == 403
    assert SecurityEvent.objects.get(pk=event.pk).username == event.username
    assert f"intact: {SecurityEvent.objects.count()} rows" in verify()
