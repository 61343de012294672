from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT = [
    ("accounts", "view_user"),
    ("accounts", "unfreeze_member"),
    ("accounts", "end_member_sessions"),
    ("security", "view_securityevent"),
]
SECURITY = [
    *SUPPORT,
    ("accounts", "freeze_member"),
    ("accounts", "require_new_questions"),
    ("accounts", "require_password_change"),
    ("security", "export_securityevent"),
    ("axes", "view_accessattempt"),
    ("axes", "view_accesslog"),
    ("axes", "view_accessfailurelog"),
]


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in (("Support", SUPPORT), ("Security", SECURITY)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in codes:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Support", "Security"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_staff_controls"),
        ("security", "0006_audit_purged_event"),
        ("axes", "__latest__"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
