import pytest
from django.db import connection

from security import chain
from security.audit import Kind, record_event
from security.models import SecurityEvent
from tests.security.migration_steps import migrate, verify_audit, write_chain_as_each_event_was_appended

BEFORE_SEALING = [("security", "0012_reset_strikes_total")]


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_chain_written_before_sealing_intact_and_seals_after_it(settings):
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False
    try:
        # Migration 0012 is one of those the squash replaces: a database reaches it only step by step.
        old = migrate(BEFORE_SEALING, step_by_step=True)
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
