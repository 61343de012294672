"""One row per password check under way, each expiring on its own (security.lockout).

A gate's count becomes that many slots taken at its last reservation, so they expire with it,
as they did before; a count already stale is cleared.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def counts_to_slots(apps, schema_editor):
    gates = apps.get_model("security", "VerificationGate").objects
    slots = apps.get_model("security", "VerificationSlot").objects
    stale_before = timezone.now() - timedelta(seconds=settings.PORTAL_VERIFICATION_RESERVATION_SECONDS)
    gates.filter(in_flight__gt=0, last_reserved_at__lt=stale_before).update(in_flight=0)
    for gate in gates.filter(in_flight__gt=0):
        slots.bulk_create(
            slots.model(username=gate.username, taken_at=gate.last_reserved_at) for _ in range(gate.in_flight)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0013_audit_sealing"),
    ]

    operations = [
        migrations.CreateModel(
            name="VerificationSlot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("username", models.CharField(max_length=255)),
                ("taken_at", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["username", "taken_at"], name="verification_slot_age")],
            },
        ),
        migrations.RunPython(counts_to_slots, migrations.RunPython.noop, elidable=True),
    ]
