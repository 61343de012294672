"""Moving the test database along the migration graph, and reading what it holds there.

A new database is built by the squashed security migration; one created before the squash goes
step by step through the migrations it replaces. `step_by_step` takes the second road from any state.
"""

import io

from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from security import chain

SQUASH = ("security", "0001_squashed_0015_event_kind_without_choices")
NO_SECURITY_TABLES = [("security", None)]


def executor(*, step_by_step=False):
    executor = MigrationExecutor(connection)
    if step_by_step:
        # The graph Django uses while a squash is partly applied: the replaced migrations, no squash.
        loader = MigrationLoader(connection, replace_migrations=False)
        for key, squash in loader.replacements.items():
            loader.graph.remove_replacement_node(key, squash.replaces)
            loader.applied_migrations.pop(key, None)
        executor.loader = loader
    return executor


def latest(executor):
    return executor.loader.graph.leaf_nodes()


def migrate(targets=None, *, step_by_step=False):
    """Migrate to `targets` (default: every app's newest); returns the historical models at named ones."""
    runner = executor(step_by_step=step_by_step)
    runner.migrate(targets or latest(runner))
    if not targets or any(name is None for _app, name in targets):
        return None
    return runner.loader.project_state(targets).apps


def planned(targets=None):
    """The migrations a plain `migrate` to `targets` would apply or unapply now, in order."""
    runner = executor()
    return [(migration.app_label, migration.name) for migration, _ in runner.migration_plan(targets or latest(runner))]


def applied():
    return set(MigrationRecorder(connection).applied_migrations())


def schema():
    """Every table's columns and constraints, as the database itself describes them.

    Columns by name: where an ALTER puts a column differs between backends (SQLite rebuilds the
    table with the altered column last), and nothing reads columns by position.
    """
    introspection = connection.introspection
    with connection.cursor() as cursor:
        return {
            table: (
                sorted(tuple(column) for column in introspection.get_table_description(cursor, table)),
                introspection.get_constraints(cursor, table),
            )
            for table in sorted(introspection.table_names(cursor))
        }


def verify_audit():
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def write_chain_as_each_event_was_appended(apps, count):
    """The log as the portal wrote it before sealing: every row linked under the head's lock.

    The head is sealed as the code of `apps` did it: before migration 0011 it carried no seal.
    """
    Event = apps.get_model("security", "SecurityEvent")
    Head = apps.get_model("security", "AuditChainHead")
    previous = chain.GENESIS
    for sequence in range(1, count + 1):
        event = Event(sequence=sequence, created_at=timezone.now(), kind="sign_in_failed", username=f"guess-{sequence}")
        event.previous_hash = previous
        event.row_hash = chain.row_hash(previous, event)
        event.save()
        previous = event.row_hash
    head = {"sequence": count, "row_hash": previous}
    if any(field.name == "head_seal" for field in Head._meta.get_fields()):
        head["head_seal"] = chain.head_seal(count, previous)
    Head.objects.update_or_create(pk=1, defaults=head)
