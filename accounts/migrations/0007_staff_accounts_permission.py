from django.contrib.auth.management import create_permissions
from django.db import migrations


def give_to_security(apps, schema_editor):
    # Permissions are normally made after all migrations; the role needs this one now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="accounts", codename="manage_staff_accounts")
    for group in Group.objects.filter(name="Security"):
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_staff_username_index")]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    ("freeze_member", "Can freeze a member's account"),
                    ("unfreeze_member", "Can unfreeze a member's account"),
                    ("end_member_sessions", "Can end a member's sessions"),
                    ("require_new_questions", "Can require new security questions"),
                    ("require_password_change", "Can require a password change"),
                    ("manage_staff_accounts", "Can unfreeze, unlock and end the sessions of staff accounts"),
                ],
                "verbose_name": "member",
                "verbose_name_plural": "members",
            },
        ),
        migrations.RunPython(give_to_security, migrations.RunPython.noop),
    ]
