"""The content type accounts.backupcodedevice is stale: the model is security's since security 0016.

accounts 0005 and 0007 make permissions mid-migration, so every database has the old row, with its
four permissions. Its permissions (and who holds them) and the support site's log entries move to
security.backupcodedevice; then the old row, which nothing needs any more, is deleted. Where
security's row is not made yet (it is made after the migrations), the old row simply becomes it:
the same model, the same table, the same objects.
"""

from django.db import migrations


def forget_stale_content_type(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    stale = ContentType.objects.using(db).filter(app_label="accounts", model="backupcodedevice").first()
    if stale is None:
        return
    current = ContentType.objects.using(db).filter(app_label="security", model="backupcodedevice").first()
    if current is None:
        stale.app_label = "security"
        stale.save(update_fields=["app_label"])
        return
    Permission = apps.get_model("auth", "Permission")
    holders = [
        (apps.get_model("auth", "Group").permissions.through, "group_id"),
        (apps.get_model("accounts", "User").user_permissions.through, "user_id"),
    ]
    for permission in Permission.objects.using(db).filter(content_type=stale):
        twin = Permission.objects.using(db).filter(content_type=current, codename=permission.codename).first()
        if twin is None:
            permission.content_type = current
            permission.save(update_fields=["content_type"])
            continue
        # Whoever held the old permission holds security's instead, then the old one goes.
        for through, holder in holders:
            rows = through.objects.using(db)
            has_twin = set(rows.filter(permission=twin).values_list(holder, flat=True))
            moved = rows.filter(permission=permission).exclude(**{f"{holder}__in": has_twin})
            moved.update(permission=twin)
            rows.filter(permission=permission).delete()
        permission.delete()
    LogEntry = apps.get_model("admin", "LogEntry")
    LogEntry.objects.using(db).filter(content_type=stale).update(content_type=current)
    # Anything else that still points at the old row keeps it.
    for relation in ContentType._meta.related_objects:
        if relation.related_model._base_manager.using(db).filter(**{relation.field.name: stale}).exists():
            return
    stale.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_member_language"),
        ("security", "0016_backup_code_device"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forget_stale_content_type, migrations.RunPython.noop)]
