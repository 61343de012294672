import io
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from security import chain
from security.audit import Kind, record_event
from security.models import AuditChainHead, SecurityEvent


def run(name, *args):
    """What an operator running `manage.py <name>` sees: the exit status and the message."""
    out = io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def raw_sql(sql, params=()):
    # What someone with database access would do, bypassing the application entirely.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def sequences():
    return list(SecurityEvent.objects.order_by("id").values_list("sequence", flat=True))


def write_events(count, member, **fields):
    return [record_event(Kind.SIGN_IN_FAILED, member=member, reason=f"n={n}", **fields) for n in range(count)]


def genuine_event_from(seconds_ago, member):
    """An event the portal wrote that long ago and no sealer has linked since."""
    event = SecurityEvent(
        kind=Kind.SIGN_IN_FAILED,
        member=member,
        username=member.username,
        created_at=timezone.now() - timedelta(seconds=seconds_ago),
    )
    event.row_hash = chain.entry_mac(event)
    event.save(force_insert=True)
    return event


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_it_writes_an_event_with_one_insert_and_never_touches_the_chain_head(member):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        event = record_event(Kind.SIGN_IN_FAILED, member=member)
    statements = [
        query["sql"] for query in queries.captured_queries if query["sql"].startswith(("INSERT", "SELECT", "UPDATE"))
    ]
    assert len(statements) == 1 and statements[0].startswith('INSERT INTO "security_securityevent"')
    assert not any("auditchainhead" in query["sql"] for query in queries.captured_queries)
    assert event.sequence is None and not AuditChainHead.objects.filter(sequence__gt=0).exists()


def test_it_seals_events_in_the_order_they_were_written(member):
    events = write_events(5, member)
    assert sequences() == [None] * 5
    result = chain.seal_pending(batch_size=2)
    assert result.sealed == 5 and not result.refused and not result.busy
    assert sequences() == [1, 2, 3, 4, 5]
    head = AuditChainHead.objects.get()
    last = SecurityEvent.objects.get(pk=events[-1].pk)
    assert (head.sequence, head.row_hash, head.head_seal) == (5, last.row_hash, chain.head_seal(5, last.row_hash))
    assert "The audit log is intact: 5 rows verified." in run("verify_audit")[1]


def test_it_catches_rows_deleted_or_altered_after_they_were_sealed_in_batches(member):
    write_events(6, member)
    chain.seal_pending(batch_size=4)
    raw_sql("UPDATE security_securityevent SET reason = %s WHERE sequence = %s", ["nothing", 5])
    status, message = run("verify_audit")
    assert status != 0 and "tampered with at row 5: its contents were altered" in message
    raw_sql("DELETE FROM security_securityevent WHERE sequence = %s", [5])
    status, message = run("verify_audit")
    assert status != 0 and "at row 5: expected row 5 next, found row 6 (rows removed)" in message


def test_it_refuses_to_seal_an_event_altered_before_it_was_sealed(member):
    first, second, third = write_events(3, member)
    raw_sql("UPDATE security_securityevent SET reason = %s WHERE id = %s", ["nothing to see", second.pk])
    result = chain.seal_pending()
    assert result.sealed == 2 and result.refused == [second.pk]
    assert sequences() == [1, None, 2]
    status, message = run("verify_audit")
    assert status != 0
    assert f"tampered with at event {second.pk}, not yet sealed: its contents were altered" in message
    assert "2 sealed rows are intact" in message
    assert chain.seal_pending().refused == [second.pk]  # left as it is, never linked


def test_it_refuses_to_seal_an_event_forged_without_the_key(member):
    write_events(1, member)
    raw_sql(
        "INSERT INTO security_securityevent (created_at, kind, username, actor, user_agent, reason, previous_hash,"
        " row_hash) VALUES (%s, 'sign_in_succeeded', 'attacker', '', '', '', '', %s)",
        [timezone.now(), "f" * 64],
    )
    forged = SecurityEvent.objects.get(username="attacker")
    status, output = run("seal_audit")
    assert status == 0 and "Sealed 1 audit events." in output
    assert "Left unsealed: 1 events fail their entry MAC" in output and f"ids {forged.pk}" in output
    assert SecurityEvent.objects.get(pk=forged.pk).sequence is None
    status, message = run("verify_audit")
    assert status != 0 and f"at event {forged.pk}, not yet sealed" in message


def test_it_reports_recent_unsealed_events_and_fails_on_one_past_the_bound(member, settings):
    write_events(2, member)
    chain.seal_pending()
    write_events(1, member)
    status, output = run("verify_audit")
    assert status == 0 and "intact: 2 rows verified" in output
    assert "1 events written in the last seconds wait to be sealed." in output

    settings.PORTAL_AUDIT_SEAL_MAX_AGE_SECONDS = 60
    old = genuine_event_from(90, member)
    status, message = run("verify_audit")
    assert status != 0
    assert f"2 audit events are not sealed, the oldest since {old.created_at:%Y-%m-%d %H:%M:%S} UTC" in message
    assert "more than 60 seconds, so the sealer is not running" in message
    assert run("seal_audit")[0] == 0
    status, output = run("verify_audit")
    assert status == 0 and "intact: 4 rows verified" in output and "wait to be sealed" not in output


def test_it_seals_nothing_while_verifying(member):
    write_events(3, member)
    run("verify_audit")
    assert sequences() == [None] * 3


def test_it_leaves_nothing_half_sealed_when_a_seal_fails_midway(member, monkeypatch):
    write_events(2, member)
    chain.seal_pending()
    head_before = list(AuditChainHead.objects.values())
    write_events(3, member)
    write_links = chain._write_links

    def crash_after_writing(links):
        write_links(links)
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(chain, "_write_links", crash_after_writing)
    with pytest.raises(DatabaseError):
        chain.seal_pending(wait=True)
    assert sequences() == [1, 2, None, None, None]
    assert list(AuditChainHead.objects.values()) == head_before
    monkeypatch.undo()
    assert chain.seal_pending().sealed == 3
    assert "intact: 5 rows verified" in run("verify_audit")[1]


def test_it_seals_pending_events_and_its_own_when_purging(member):
    old = SecurityEvent(kind=Kind.SIGN_IN_FAILED, member=member, created_at=timezone.now() - timedelta(days=4000))
    old.row_hash = chain.entry_mac(old)
    old.save(force_insert=True)
    chain.seal_pending()
    waiting = write_events(2, member)
    assert run("purge_audit", "--older-than", "3650")[0] == 0
    assert sequences() == [2, 3, 4]
    purge_event = SecurityEvent.objects.get(kind=Kind.AUDIT_PURGED)
    assert purge_event.sequence == 4 and waiting[-1].pk < purge_event.pk
    assert AuditChainHead.objects.get().purge_event_sequence == 4
    assert "intact: 3 rows verified" in run("verify_audit")[1]


def test_it_refuses_a_seal_interval_out_of_range(db):
    for bad in ("0", "-1", "100000"):
        status, message = run("seal_audit", "--loop", "--interval", bad)
        assert status != 0 and "--interval must be between 0.05 and 3600 seconds." in message


@pytest.mark.django_db(transaction=True)
def test_it_seals_soon_after_commit_and_never_an_event_rolled_back(member):
    with transaction.atomic():
        record_event(Kind.SIGN_IN_SUCCEEDED, member=member)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(Kind.PASSWORD_CHANGED, member=member)
        raise RuntimeError("the change failed")
    record_event(Kind.SIGNED_OUT, member=member)
    assert wait_for(lambda: not SecurityEvent.objects.filter(sequence__isnull=True).exists())
    kinds = list(SecurityEvent.objects.order_by("sequence").values_list("sequence", "kind"))
    assert kinds == [(1, Kind.SIGN_IN_SUCCEEDED), (2, Kind.SIGNED_OUT)]
    assert "intact: 2 rows verified" in run("verify_audit")[1]


@pytest.mark.django_db(transaction=True)
def test_it_never_forks_the_chain_with_sealers_and_writers_at_once(member, settings):
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False  # only the sealers started here
    write_events(50, member)
    stop, errors, sealed = threading.Event(), [], []

    def sealer():
        try:
            while not stop.is_set():
                sealed.append(chain.seal_until_done().sealed)
        except Exception as error:  # a real failure, reported below
            errors.append(error)
        finally:
            connection.close()

    def writer(n):
        try:
            for i in range(40):
                with transaction.atomic():
                    record_event(Kind.SIGN_IN_FAILED, member=member, reason=f"writer {n} event {i}")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    sealers = [threading.Thread(target=sealer) for _ in range(4)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in sealers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in sealers:
        thread.join()
    assert not errors
    chain.seal_until_done()
    total = 50 + 3 * 40
    assert sum(sealed) <= total
    assert sorted(sequences()) == list(range(1, total + 1))
    assert f"The audit log is intact: {total} rows verified." in run("verify_audit")[1]


@pytest.mark.django_db(transaction=True)
def test_it_leaves_nothing_half_sealed_when_the_sealer_is_killed(member, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the sealer's server session is ended from outside: PostgreSQL's pg_terminate_backend")
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False
    write_events(4, member)
    written, release, outcome = threading.Event(), threading.Event(), []
    write_links = chain._write_links

    def write_then_hold(links):
        write_links(links)
        outcome.append(connection.cursor().connection.info.backend_pid)
        written.set()
        release.wait(10)

    def sealer():
        try:
            chain.seal_pending(wait=True)
            outcome.append("committed")
        except DatabaseError:
            outcome.append("killed")
        finally:
            connection.close()

    chain._write_links = write_then_hold
    try:
        thread = threading.Thread(target=sealer)
        thread.start()
        assert written.wait(10)
        raw_sql("SELECT pg_terminate_backend(%s)", [outcome[0]])
        release.set()
        thread.join()
    finally:
        chain._write_links = write_links
    assert outcome[1] == "killed"
    assert sequences() == [None] * 4
    assert not AuditChainHead.objects.filter(sequence__gt=0).exists()
    assert chain.seal_pending().sealed == 4
    assert "intact: 4 rows verified" in run("verify_audit")[1]


@pytest.fixture
def head_held_elsewhere(settings):
    """The chain head locked by another session (a purge, a sealer) until the test lets it go."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False
    with transaction.atomic():
        chain.locked_head()  # there, committed, as the migrations leave it
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                chain.locked_head()
                held.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    yield release
    release.set()
    holder.join()


@pytest.mark.django_db(transaction=True)
def test_it_records_a_sign_in_at_once_while_the_chain_head_is_held(member, head_held_elsewhere):
    started = time.monotonic()
    with transaction.atomic():
        record_event(Kind.SIGN_IN_SUCCEEDED, member=member)
    assert time.monotonic() - started < 1
    busy = chain.seal_pending()
    assert busy.busy and busy.sealed == 0 and sequences() == [None]

    threading.Timer(0.2, head_held_elsewhere.set).start()
    assert chain.seal_until_done().sealed == 1
    assert sequences() == [1]
