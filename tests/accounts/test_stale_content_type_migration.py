"""accounts 0011: the stale content type accounts.backupcodedevice goes, and nothing else changes."""

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tests.security.migration_steps import migrate

# The support site's log entries are in the state too, to write one there.
AT_0010 = [("accounts", "0010_member_language"), ("admin", "0003_logentry_add_action_flag_choices")]
CODENAMES = ["add_backupcodedevice", "change_backupcodedevice", "delete_backupcodedevice", "view_backupcodedevice"]


def snapshot(apps):
    """Every content type, permission, holder of a permission and log entry, as rows of names."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("accounts", "User")
    LogEntry = apps.get_model("admin", "LogEntry")
    return {
        "content types": set(ContentType.objects.values_list("app_label", "model")),
        "permissions": set(Permission.objects.values_list("content_type__app_label", "codename")),
        "group permissions": set(
            Group.permissions.through.objects.values_list(
                "group__name", "permission__content_type__app_label", "permission__codename"
            )
        ),
        "user permissions": set(
            User.user_permissions.through.objects.values_list(
                "user__username", "permission__content_type__app_label", "permission__codename"
            )
        ),
        "log entries": set(LogEntry.objects.values_list("object_repr", "content_type__app_label")),
    }


def as_stale_database_has_it(apps, *, with_security_row=True):
    """The old row as accounts 0005 made it, its permissions held by a group and a staff member,
    and a support-site log entry about a backup-code device, beside security's row made since."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("accounts", "User")
    LogEntry = apps.get_model("admin", "LogEntry")
    current = ContentType.objects.filter(app_label="security", model="backupcodedevice")
    if not with_security_row:
        current.delete()
    else:
        assert current.exists() and Permission.objects.filter(content_type__in=current).count() == 4
    stale, _ = ContentType.objects.get_or_create(app_label="accounts", model="backupcodedevice")
    old = {
        codename: Permission.objects.get_or_create(content_type=stale, codename=codename, name=codename)[0]
        for codename in CODENAMES
    }
    auditors, _ = Group.objects.get_or_create(name="Auditors")
    auditors.permissions.add(old["view_backupcodedevice"])
    staff = User.objects.create(username="sam", is_staff=True)
    staff.user_permissions.add(old["view_backupcodedevice"], old["delete_backupcodedevice"])
    if with_security_row:
        # Held twice over: the old permission and security's (no duplicate row after the move).
        staff.user_permissions.add(Permission.objects.get(content_type__in=current, codename="view_backupcodedevice"))
    LogEntry.objects.create(
        user=staff, content_type=stale, object_id="7", object_repr="backup codes of alice", action_flag=3
    )
    return stale.pk


STALE = ("accounts", "backupcodedevice")
STALE_PERMISSIONS = {("accounts", codename) for codename in CODENAMES}
SECURITY_PERMISSIONS = {("security", codename) for codename in CODENAMES}


def at_0010_then_forward(prepare):
    """The database at accounts 0010 as `prepare` leaves it, then migrated forward: both snapshots."""
    try:
        old = migrate(AT_0010)
        prepared = prepare(old)
        before = snapshot(old)
        migrate()
        return prepared, before, snapshot(django_apps)
    finally:
        migrate()


@pytest.mark.django_db(transaction=True)
def test_it_removes_the_stale_row_and_moves_what_used_it_to_security():
    stale_pk, before, after = at_0010_then_forward(as_stale_database_has_it)
    assert STALE in before["content types"] and before["permissions"] >= STALE_PERMISSIONS
    assert after["content types"] == before["content types"] - {STALE}
    assert after["permissions"] == before["permissions"] - STALE_PERMISSIONS
    assert after["group permissions"] == before["group permissions"] - {
        ("Auditors", "accounts", "view_backupcodedevice")
    } | {("Auditors", "security", "view_backupcodedevice")}
    # sam's backup-code permissions are security's now, each held once.
    assert after["user permissions"] == {
        ("sam", "security", "view_backupcodedevice"),
        ("sam", "security", "delete_backupcodedevice"),
    }
    assert after["log entries"] == {("backup codes of alice", "security")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_content_type WHERE id = %s", [stale_pk])
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_the_stale_row_becomes_securitys_when_security_has_none_yet():
    stale_pk, before, after = at_0010_then_forward(lambda apps: as_stale_database_has_it(apps, with_security_row=False))
    assert after["content types"] == before["content types"] - {STALE} | {("security", "backupcodedevice")}
    assert after["permissions"] == before["permissions"] - STALE_PERMISSIONS | SECURITY_PERMISSIONS
    assert after["log entries"] == {("backup codes of alice", "security")}
    assert ContentType.objects.get(app_label="security", model="backupcodedevice").pk == stale_pk


@pytest.mark.django_db(transaction=True)
def test_a_database_without_the_stale_row_migrates_unchanged():
    _, before, after = at_0010_then_forward(lambda apps: None)
    assert STALE not in before["content types"]
    assert after == before
