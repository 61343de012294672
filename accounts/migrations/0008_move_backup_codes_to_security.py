"""Backup codes are now security.BackupCodeDevice (security 0016): accounts' state forgets the model.

State only: the table stays, under its name, as security's model's table.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_staff_accounts_permission"),
        # The model exists in security's state before it leaves accounts'.
        ("security", "0016_backup_code_device"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="BackupCodeDevice")],
            database_operations=[],
        ),
    ]
