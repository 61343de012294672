"""Events are sealed into the chain after they commit: `sequence` stays empty until then.

Every row already in the log was linked when it was written, so an existing chain is a sealed chain
as it stands: nothing in it changes. The audit list's indexes end in id, which every row has; the member
column's own index goes (event_member_id serves it), one index fewer for every event written.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0012_reset_strikes_total"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="securityevent",
            options={"ordering": ["-id"], "permissions": [("export_securityevent", "Can export the audit log")]},
        ),
        migrations.RemoveIndex(
            model_name="securityevent",
            name="event_kind_seq",
        ),
        migrations.RemoveIndex(
            model_name="securityevent",
            name="event_username_seq",
        ),
        migrations.RemoveIndex(
            model_name="securityevent",
            name="event_member_seq",
        ),
        migrations.RemoveIndex(
            model_name="securityevent",
            name="event_ip_seq",
        ),
        migrations.AlterField(
            model_name="securityevent",
            name="sequence",
            field=models.BigIntegerField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="securityevent",
            index=models.Index(fields=["kind", "id"], name="event_kind_id"),
        ),
        migrations.AddIndex(
            model_name="securityevent",
            index=models.Index(fields=["username", "id"], name="event_username_id"),
        ),
        migrations.AddIndex(
            model_name="securityevent",
            index=models.Index(fields=["member", "id"], name="event_member_id"),
        ),
        migrations.AddIndex(
            model_name="securityevent",
            index=models.Index(fields=["ip_address", "id"], name="event_ip_id"),
        ),
        migrations.AlterField(
            model_name="securityevent",
            name="member",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="security_events",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
