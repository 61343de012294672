import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from security import chain
from security.audit import Kind, record_event
from security.models import AuditChainHead, SecurityEvent


def verify_audit(*args):
    """What an operator running `manage.py verify_audit` sees: the exit status and the message."""
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def verify():
    status, output = verify_audit()
    if status:
        raise CommandError(output)
    return output


def witness_from(output):
    return output.split("--witness next time): ")[1].strip()


def record_sealed(kind, **fields):
    """An event as the log holds it once the sealer has run."""
    event = record_event(kind, **fields)
    chain.seal_until_done()
    event.refresh_from_db()
    return event


@pytest.fixture
def log(member):
    for n in range(6):
        record_event(Kind.SIGN_IN_FAILED, username=f"guess-{n}", member=member, reason=f"n={n}")
    chain.seal_until_done()
    return list(SecurityEvent.objects.order_by("sequence"))


def raw_sql(sql, params=()):
    # What someone with database access would do, bypassing the application entirely.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def head_columns():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequence, row_hash, head_seal, purged_through_sequence, purged_through_hash,"
            " purge_event_sequence, checkpoint_seal FROM security_auditchainhead WHERE id = 1"
        )
        return cursor.fetchone()


def put_head_columns(values):
    raw_sql(
        "UPDATE security_auditchainhead SET sequence = %s, row_hash = %s, head_seal = %s,"
        " purged_through_sequence = %s, purged_through_hash = %s, purge_event_sequence = %s,"
        " checkpoint_seal = %s WHERE id = 1",
        list(values),
    )


def test_it_reports_an_intact_log(log):
    status, output = verify_audit()
    assert status == 0
    assert "The audit log is intact: 6 rows verified." in output
    assert witness_from(output) == f"{log[-1].sequence}:{log[-1].row_hash}"


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


def test_it_catches_rows_cut_from_the_end_with_the_head_rewritten_to_match(log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence >= %s", [5])
    raw_sql("UPDATE security_auditchainhead SET sequence = %s, row_hash = %s WHERE id = 1", [4, log[3].row_hash])
    status, message = verify_audit()
    assert status != 0
    assert "tampered with at the chain head: its seal does not match (row 4)" in message
    assert "rewritten outside the portal, so rows may have been removed from the end" in message


def test_it_catches_a_rewritten_head_even_after_later_events_are_appended(log, member):
    raw_sql("DELETE FROM security_securityevent WHERE sequence >= %s", [5])
    raw_sql("UPDATE security_auditchainhead SET sequence = %s, row_hash = %s WHERE id = 1", [4, log[3].row_hash])
    record_sealed(Kind.SIGN_IN_SUCCEEDED, member=member)
    assert SecurityEvent.objects.order_by("-sequence").first().sequence == 5
    status, message = verify_audit()
    assert status != 0 and "the chain head: its seal does not match (row 5)" in message


def test_it_catches_rows_cut_from_the_start_with_the_checkpoint_moved_to_match(log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence <= %s", [2])
    raw_sql(
        "UPDATE security_auditchainhead SET purged_through_sequence = %s, purged_through_hash = %s WHERE id = 1",
        [2, log[1].row_hash],
    )
    status, message = verify_audit()
    assert status != 0
    assert "tampered with at the purge checkpoint: its seal does not match (rows through 2 purged" in message


def test_it_catches_rows_cut_from_the_start_with_the_checkpoint_left_alone(log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence <= %s", [2])
    status, message = verify_audit()
    assert status != 0
    assert "at the start of the log: it is row 3, but the purge checkpoint says nothing was purged" in message


def test_it_catches_a_forged_checkpoint_with_no_purge_event(log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence <= %s", [3])
    raw_sql(
        "UPDATE security_auditchainhead SET purged_through_sequence = %s, purged_through_hash = %s,"
        " purge_event_sequence = %s, checkpoint_seal = %s WHERE id = 1",
        [3, log[2].row_hash, 0, "0" * 64],
    )
    status, message = verify_audit()
    assert status != 0
    assert "at the purge checkpoint: its seal does not match (rows through 3 purged, by the purge at row 0)" in message


def test_it_catches_a_checkpoint_sealed_with_the_key_but_naming_no_purge_event(log):
    # Even someone holding the chain key must point the checkpoint at the audit_purged event that made it.
    raw_sql("DELETE FROM security_securityevent WHERE sequence <= %s", [3])
    chain.move_checkpoint(through_sequence=3, through_hash=log[2].row_hash, purge_event_sequence=5)
    status, message = verify_audit()
    assert status != 0
    assert "at row 5: the purge checkpoint names it as its purge, but it is no audit_purged event" in message

    chain.move_checkpoint(through_sequence=3, through_hash=log[2].row_hash, purge_event_sequence=3)
    status, message = verify_audit()
    assert status != 0 and "at the purge checkpoint: it names no audit_purged event after row 3" in message


def test_it_catches_a_checkpoint_whose_purge_event_names_another_row(log, member):
    purge_event = record_sealed(Kind.AUDIT_PURGED, actor="operator:x", reason=chain.purged_through_text(2))
    raw_sql("DELETE FROM security_securityevent WHERE sequence <= %s", [3])
    chain.move_checkpoint(through_sequence=3, through_hash=log[2].row_hash, purge_event_sequence=purge_event.sequence)
    status, message = verify_audit()
    assert status != 0
    assert f"at row {purge_event.sequence}: the purge checkpoint is at row 3" in message
    assert "but this audit_purged event says it purged through row 2" in message


def test_it_catches_an_older_genuine_head_put_back(log, member):
    older = head_columns()
    record_sealed(Kind.SIGN_IN_SUCCEEDED, member=member)
    record_sealed(Kind.SIGNED_OUT, member=member)
    put_head_columns(older)
    status, message = verify_audit()
    assert status != 0
    assert "the log goes on to row 7 but the chain head is row 6 (an older chain head put back)" in message


def test_it_catches_the_log_cut_back_to_an_older_genuine_head_only_with_a_witness(log, member):
    older = head_columns()
    record_sealed(Kind.SIGN_IN_SUCCEEDED, member=member)
    witness = witness_from(verify())
    assert witness.startswith("7:")
    record_sealed(Kind.SIGNED_OUT, member=member)
    assert verify_audit("--witness", witness)[0] == 0

    # Rows and head put back exactly as they were: nothing inside the database differs from then.
    raw_sql("DELETE FROM security_securityevent WHERE sequence > %s", [6])
    put_head_columns(older)
    assert verify_audit()[0] == 0
    status, message = verify_audit("--witness", witness)
    assert status != 0
    assert "the log ends at row 6, before row 7 named by the witness" in message


def test_it_catches_a_row_that_differs_from_the_witness(log):
    status, message = verify_audit("--witness", f"4:{'a' * 64}")
    assert status != 0 and "at row 4: its hash is not the witness's" in message


def test_it_refuses_a_witness_it_cannot_read(log):
    for bad in ("7", "x:abc", f"0:{'a' * 64}", f"3:{'A' * 64}", f"3:{'a' * 63}"):
        status, message = verify_audit("--witness", bad)
        assert status != 0 and "give ROW:HASH exactly as an earlier verify_audit printed it" in message, bad


def test_it_is_not_alarmed_by_events_appended_while_it_runs(log, member):
    def sign_in_meanwhile(checked):
        record_sealed(Kind.SIGN_IN_SUCCEEDED, member=member)

    problem, checked, end = chain.verify(progress=sign_in_meanwhile, chunk_size=2)
    assert problem is None and checked == 6 and end == (6, log[-1].row_hash)
    assert SecurityEvent.objects.count() == 9
    assert "intact: 9 rows verified" in verify()


def test_it_catches_a_deleted_chain_head(log):
    raw_sql("DELETE FROM security_auditchainhead")
    status, message = verify_audit()
    assert status != 0 and "at the chain head: it is missing" in message


def test_it_survives_non_ascii_written_into_the_hash_columns(log):
    raw_sql("UPDATE security_auditchainhead SET head_seal = %s WHERE id = 1", ["é" * 32])
    status, message = verify_audit()
    assert status != 0 and "the chain head: its seal does not match" in message
    raw_sql("UPDATE security_securityevent SET row_hash = %s WHERE sequence = 2", ["é" * 32])
    problem, _, _ = chain.verify()
    assert problem is not None


def test_it_catches_an_inserted_row_even_with_a_plausible_hash(log):
    from django.utils import timezone

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


def test_it_never_offers_to_change_or_delete_an_event_in_the_admin(staff_client, log):
    event = log[0]
    assert staff_client.get(f"/admin/security/securityevent/{event.pk}/change/").status_code == 200
    response = staff_client.post(f"/admin/security/securityevent/{event.pk}/change/", {"username": "x"})
    assert response.status_code == 403
    assert staff_client.post(f"/admin/security/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.get("/admin/security/securityevent/add/").status_code == 403
    assert SecurityEvent.objects.get(pk=event.pk).username == event.username
    assert f"intact: {SecurityEvent.objects.count()} rows" in verify()


def test_it_verifies_an_empty_log(db):
    assert "The audit log is intact: 0 rows verified." in verify()


def write_log_as_before_the_seals(apps, kinds):
    """Rows linked as the chain did before its ends were sealed; the head as it left them, unsealed."""
    from django.utils import timezone

    Event = apps.get_model("security", "SecurityEvent")
    previous = chain.GENESIS
    for sequence, (kind, reason) in enumerate(kinds, start=1):
        event = Event(sequence=sequence, created_at=timezone.now(), kind=kind, username=f"guess-{sequence}")
        event.reason, event.previous_hash = reason, previous
        event.row_hash = chain.row_hash(previous, event)
        event.save()
        previous = event.row_hash
    apps.get_model("security", "AuditChainHead").objects.update_or_create(
        pk=1, defaults={"sequence": len(kinds), "row_hash": previous}
    )
    return {event.sequence: event.row_hash for event in Event.objects.all()}


def migrate(target):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(target or executor.loader.graph.leaf_nodes())
    return MigrationExecutor(connection).loader.project_state(target).apps if target else None


BEFORE_SEALS = [("security", "0010_refused_busy_event")]


@pytest.mark.django_db(transaction=True)
def test_it_verifies_a_log_from_before_the_seals_after_migrate():
    try:
        old = migrate(BEFORE_SEALS)
        write_log_as_before_the_seals(old, [("sign_in_failed", f"n={n}") for n in range(5)])
        migrate(None)
        assert "The audit log is intact: 5 rows verified." in verify()
        assert SecurityEvent.objects.count() == 5
        record_sealed(Kind.SIGN_IN_SUCCEEDED, username="guess-1")
        assert "intact: 6 rows verified" in verify()
        raw_sql("DELETE FROM security_securityevent WHERE sequence = %s", [6])
        raw_sql("UPDATE security_auditchainhead SET sequence = %s, row_hash = %s WHERE id = 1", [5, ""])
        assert "the chain head: its seal does not match (row 5)" in verify_audit()[1]
    finally:
        migrate(None)


@pytest.mark.django_db(transaction=True)
def test_it_verifies_a_log_purged_before_the_seals_after_migrate():
    try:
        old = migrate(BEFORE_SEALS)
        kinds = [("sign_in_failed", f"n={n}") for n in range(4)]
        hashes = write_log_as_before_the_seals(old, [*kinds, ("audit_purged", "older than 3650 days: 2 audit events")])
        old.get_model("security", "SecurityEvent").objects.filter(sequence__lte=2).delete()
        old.get_model("security", "AuditChainHead").objects.filter(pk=1).update(
            purged_through_sequence=2, purged_through_hash=hashes[2]
        )
        migrate(None)
        status, output = verify_audit()
        assert status == 0 and "The audit log is intact: 4 rows verified." in output
        sealing = SecurityEvent.objects.get(sequence=6)
        assert sealing.kind == Kind.AUDIT_PURGED and chain.purged_through(sealing.reason) == 2
        assert sealing.actor == "migration security.0011_audit_chain_seals"
        assert AuditChainHead.objects.get().purge_event_sequence == 6
        raw_sql("DELETE FROM security_securityevent WHERE sequence = %s", [3])
        raw_sql("UPDATE security_auditchainhead SET purged_through_sequence = 3, purged_through_hash = %s", [hashes[3]])
        assert "at the purge checkpoint: its seal does not match" in verify_audit()[1]
    finally:
        migrate(None)


def test_it_names_the_tampering_in_the_operators_language(log):
    raw_sql("DELETE FROM security_securityevent WHERE sequence = %s", [4])
    from django.utils import translation

    with translation.override("es"), pytest.raises(CommandError) as refused:
        call_command("verify_audit", stdout=io.StringIO(), skip_checks=True)
    # The whole sentence is Spanish, the row numbers in their places.
    assert "se esperaba la fila 4 y se encontró la fila 5 (se quitaron filas)" in str(refused.value)
    assert "expected row" not in str(refused.value)
