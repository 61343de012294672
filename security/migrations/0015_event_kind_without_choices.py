"""An event's kind keeps its choices in the code only (security.fields): a new kind needs no migration.

Choices never reach the database, so this changes no column on any backend.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0014_verification_slots"),
    ]

    operations = [
        migrations.AlterField(
            model_name="securityevent",
            name="kind",
            field=models.CharField(max_length=40),
        ),
    ]
