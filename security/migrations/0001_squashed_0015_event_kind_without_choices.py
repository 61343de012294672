"""The security app's schema as migrations 0001 to 0015 left it, for new databases.

A database that applied some of those migrations goes on with them; one that applied all of them
counts this one as applied. Of their data steps, a new database needs only the chain head, sealed
and empty, which 0005 created and 0011 sealed: a log with events and no head reads as tampered with.
The rest only rework rows an older database already held, and a new one has none: 0005 linked the
events written before the chain, 0011 sealed a checkpoint left by an earlier purge, 0014 turned
gate counts into slots.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def create_chain_head(apps, schema_editor):
    from security.chain import head_seal

    AuditChainHead = apps.get_model("security", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1, defaults={"head_seal": head_seal(0, "")})


class Migration(migrations.Migration):
    replaces = [
        ("security", "0001_initial"),
        ("security", "0002_security_questions"),
        ("security", "0003_member_sessions"),
        ("security", "0004_browser_refused_event"),
        ("security", "0005_audit_chain"),
        ("security", "0006_audit_purged_event"),
        ("security", "0007_staff_requirement_events"),
        ("security", "0008_operator_password_event"),
        ("security", "0009_member_contact_events"),
        ("security", "0010_refused_busy_event"),
        ("security", "0011_audit_chain_seals"),
        ("security", "0012_reset_strikes_total"),
        ("security", "0013_audit_sealing"),
        ("security", "0014_verification_slots"),
        ("security", "0015_event_kind_without_choices"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SecurityEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.BigIntegerField(blank=True, editable=False, null=True, unique=True)),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("kind", models.CharField(max_length=40)),
                ("username", models.CharField(blank=True, max_length=150)),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="security_events",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("actor", models.CharField(blank=True, max_length=150)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("reason", models.TextField(blank=True)),
                ("previous_hash", models.CharField(default="", editable=False, max_length=64)),
                ("row_hash", models.CharField(default="", editable=False, max_length=64)),
            ],
            options={
                "ordering": ["-id"],
                "permissions": [("export_securityevent", "Can export the audit log")],
                "indexes": [
                    models.Index(fields=["kind", "id"], name="event_kind_id"),
                    models.Index(fields=["username", "id"], name="event_username_id"),
                    models.Index(fields=["member", "id"], name="event_member_id"),
                    models.Index(fields=["ip_address", "id"], name="event_ip_id"),
                ],
            },
        ),
        migrations.CreateModel(
            name="VerificationGate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("username", models.CharField(max_length=255, unique=True)),
                ("in_flight", models.PositiveIntegerField(default=0)),
                ("last_reserved_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
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
        migrations.CreateModel(
            name="SecurityAnswer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField()),
                ("question", models.CharField(max_length=40)),
                ("answer_hash", models.CharField(max_length=255)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="security_answers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["member", "position"],
                "constraints": [
                    models.UniqueConstraint(fields=("member", "position"), name="one_answer_per_position"),
                    models.UniqueConstraint(fields=("member", "question"), name="one_answer_per_question"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ResetStrikes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("username", models.CharField(max_length=255, unique=True)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("locked_until", models.DateTimeField(blank=True, null=True)),
                ("total_failures", models.PositiveIntegerField(default=0)),
                ("held", models.BooleanField(default=False)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name_plural": "reset strikes",
            },
        ),
        migrations.CreateModel(
            name="PasswordHistory",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("password_hash", models.CharField(max_length=255)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="password_history",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name_plural": "password history",
            },
        ),
        migrations.CreateModel(
            name="MemberSession",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("session_key", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_activity_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("end_reason", models.CharField(blank=True, max_length=40)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="member_sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-last_activity_at"],
                "indexes": [models.Index(fields=["member", "ended_at"], name="member_session_open")],
            },
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.BigIntegerField(default=0)),
                ("row_hash", models.CharField(default="", max_length=64)),
                ("head_seal", models.CharField(db_default="", default="", max_length=64)),
                ("purged_through_sequence", models.BigIntegerField(default=0)),
                ("purged_through_hash", models.CharField(default="", max_length=64)),
                ("purge_event_sequence", models.BigIntegerField(db_default=0, default=0)),
                ("checkpoint_seal", models.CharField(db_default="", default="", max_length=64)),
            ],
        ),
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
    ]
