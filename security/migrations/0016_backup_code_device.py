"""Backup codes become a security model (security.BackupCodeDevice), keeping their table.

State only: the table accounts_backupcodedevice, its rows, columns and indexes stay as they are.
accounts 0008 removes the model from accounts' state after this adds it here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0015_event_kind_without_choices"),
        ("accounts", "0007_staff_accounts_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BackupCodeDevice",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                        ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                        ("code_hashes", models.JSONField(default=list)),
                        (
                            "user",
                            models.ForeignKey(
                                help_text="The user that this device belongs to.",
                                on_delete=django.db.models.deletion.CASCADE,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "backup codes",
                        "verbose_name_plural": "backup codes",
                        "db_table": "accounts_backupcodedevice",
                        "abstract": False,
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
