import io

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from security import chain
from security.audit import Kind, record_event
from security.models import AuditChainHead, SecurityEvent
from tests.security.migration_steps import (
    NO_SECURITY_TABLES,
    SQUASH,
    applied,
    migrate,
    planned,
    schema,
    verify_audit,
    write_chain_as_each_event_was_appended,
)

AT_0010 = [("security", "0010_refused_busy_event")]


def replaced_by_squash(key):
    """Whether `key` names one of the security migrations 0001 to 0015, which the squash replaces."""
    app, name = key
    return app == "security" and key != SQUASH and int(name[:4]) <= 15


def makemigrations_check():
    """What `makemigrations --check --dry-run` prints; SystemExit when it finds a change to migrate."""
    out = io.StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_a_new_kind_of_event_needs_no_migration(monkeypatch):
    field = SecurityEvent._meta.get_field("kind")
    monkeypatch.setattr(field, "choices", [*field.choices, ("backup_code_used", "Backup code used")])
    assert makemigrations_check() == "No changes detected"


@pytest.mark.django_db
def test_the_same_check_sees_a_change_to_the_kind_column(monkeypatch):
    # The check above can fail: the change it makes in this process is one makemigrations reads.
    monkeypatch.setattr(SecurityEvent._meta.get_field("kind"), "max_length", 41)
    with pytest.raises(SystemExit):
        makemigrations_check()


def test_an_event_kind_keeps_its_choices_for_forms_and_the_admin():
    field = SecurityEvent._meta.get_field("kind")
    assert field.choices == Kind.choices
    assert field.flatchoices == Kind.choices
    assert list(field.formfield().choices)[1:] == Kind.choices
    assert SecurityEvent(kind=Kind.RESET_HELD).get_kind_display() == "Password reset locked until staff unlock it"
    _name, path, _args, kwargs = field.deconstruct()
    assert path == "django.db.models.CharField"
    assert kwargs == {"max_length": 40}


def test_the_squash_replaces_every_security_migration_up_to_0015():
    loader = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    replaced = [key for key in loader.disk_migrations if replaced_by_squash(key)]
    assert sorted(loader.disk_migrations[SQUASH].replaces) == sorted(replaced)
    assert len(replaced) == 15


def chain_heads():
    return list(AuditChainHead.objects.values())


@pytest.mark.django_db(transaction=True)
def test_a_new_database_is_built_by_the_squash_as_the_step_by_step_migrations_build_it():
    try:
        migrate(NO_SECURITY_TABLES)
        plan = planned()
        assert SQUASH in plan
        assert not [step for step in plan if replaced_by_squash(step)]
        migrate()
        assert SQUASH in applied()
        squash_schema, squash_heads = schema(), chain_heads()
        assert verify_audit() == (0, "The audit log is intact: 0 rows verified.\n")

        migrate(NO_SECURITY_TABLES)
        migrate(step_by_step=True)
        assert schema() == squash_schema
        assert chain_heads() == squash_heads
    finally:
        migrate()


def purge_as_before_sealing(apps, *, through):
    """A purge as the portal ran one at 0010: the rows through `through` deleted, the head's
    checkpoint moved to the last of them, and the purge audited as the next link."""
    Event = apps.get_model("security", "SecurityEvent")
    Head = apps.get_model("security", "AuditChainHead")
    head = Head.objects.get(pk=1)
    last_purged = Event.objects.get(sequence=through)
    Event.objects.filter(sequence__lte=through).delete()
    event = Event(
        sequence=head.sequence + 1,
        created_at=timezone.now(),
        kind="audit_purged",
        actor="operator",
        reason=f"older than 365 days: {through} audit events, 0 sign-in logs, 0 failure logs, 0 ended sessions",
        previous_hash=head.row_hash,
    )
    event.row_hash = chain.row_hash(event.previous_hash, event)
    event.save()
    Head.objects.filter(pk=1).update(
        sequence=event.sequence,
        row_hash=event.row_hash,
        purged_through_sequence=through,
        purged_through_hash=last_purged.row_hash,
    )


def event_rows(Event):
    return list(Event.objects.order_by("sequence").values_list("sequence", "kind", "username", "row_hash"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("purged_through", [0, 2], ids=["never-purged", "purged-before"])
def test_a_database_at_0010_migrates_forward_with_its_rows_and_its_chain_intact(settings, purged_through):
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False
    try:
        migrate(NO_SECURITY_TABLES)
        old = migrate(AT_0010, step_by_step=True)
        write_chain_as_each_event_was_appended(old, 6)
        if purged_through:
            purge_as_before_sealing(old, through=purged_through)
        rows = event_rows(old.get_model("security", "SecurityEvent"))
        plan = planned()
        assert SQUASH not in plan and ("security", "0011_audit_chain_seals") in plan

        migrate()
        assert SQUASH in applied()
        # 0011 records a checkpoint left by an earlier purge in an audit_purged event of its own.
        added_by_0011 = 1 if purged_through else 0
        assert event_rows(SecurityEvent)[: len(rows)] == rows
        assert SecurityEvent.objects.count() == len(rows) + added_by_0011
        status, output = verify_audit()
        assert status == 0 and f"The audit log is intact: {len(rows) + added_by_0011} rows verified." in output

        record_event(Kind.SIGN_IN_SUCCEEDED, username="guess-3")
        assert chain.seal_pending().sealed == 1
        assert f"intact: {len(rows) + added_by_0011 + 1} rows verified" in verify_audit()[1]
    finally:
        migrate()
