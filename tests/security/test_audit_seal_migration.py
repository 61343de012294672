import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from security import chain
from security.audit import Kind, record_event
from security.models import SecurityEvent

BEFORE_SEALING = [("security", "0012_reset_strikes_total")]


def verify_audit():
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target or executor.loader.graph.leaf_nodes())
    return MigrationExecutor(connection).loader.project_state(target).apps if target else None


def write_chain_as_each_event_was_appended(apps, count):
    """The log as the portal wrote it before sealing: every row linked under the head's lock."""
    Event = apps.get_model("security", "SecurityEvent")
    previous = chain.GENESIS
    for sequence in range(1, count + 1):
        event = Event(sequence=sequence, created_at=timezone.now(), kind="sign_in_failed", username=f"guess-{sequence}")
        event.previous_hash = previous
        event.row_hash = chain.row_hash(previous, event)
        event.save()
        previous = event.row_hash
    apps.get_model("security", "AuditChainHead").objects.update_or_create(
        pk=1, defaults={"sequence": count, "row_hash": previous, "head_seal": chain.head_seal(count, previous)}
    )


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_chain_written_before_sealing_intact_and_seals_after_it(settings):
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False
    try:
        old = migrate(BEFORE_SEALING)
        write_chain_as_each_event_was_appended(old, 5)
        migrate(None)
        status, output = verify_audit()
        assert status == 0 and "The audit log is intact: 5 rows verified." in output

        event = record_event(Kind.SIGN_IN_SUCCEEDED, username="guess-1")
        assert SecurityEvent.objects.get(pk=event.pk).sequence is None
        assert chain.seal_pending().sealed == 1
        assert SecurityEvent.objects.get(pk=event.pk).sequence == 6
        assert "intact: 6 rows verified" in verify_audit()[1]
        # The admin's newest-first list puts the new event first.
        assert SecurityEvent.objects.first().pk == event.pk

        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM security_securityevent WHERE sequence = %s", [3])
        status, message = verify_audit()
        assert status != 0 and "at row 3: expected row 3 next, found row 4 (rows removed)" in message
    finally:
        migrate(None)


def test_it_links_a_row_exactly_as_the_chain_did_before_sealing(member):
    import hashlib
    import hmac
    import json

    from django.conf import settings

    event = record_event(Kind.SIGN_IN_FAILED, member=member, reason="naïve ünïcode")
    chain.seal_pending()
    event.refresh_from_db()
    # The formula every row before migration 0013 was linked with, written out again here.
    key = hashlib.sha256(f"audit-chain:{settings.PORTAL_AUDIT_CHAIN_KEY}".encode()).digest()
    fields = [event.sequence, event.created_at.isoformat(timespec="microseconds"), event.kind, event.username]
    fields += [event.member_id, event.actor, event.ip_address, event.user_agent, event.reason]
    message = event.previous_hash + json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)
    assert event.row_hash == hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
