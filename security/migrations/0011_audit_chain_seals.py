from django.db import migrations, models
from django.utils import timezone


def seal_head_and_checkpoint(apps, schema_editor):
    """Seal the chain head as it stands; a checkpoint from an earlier purge gets its purge event now.

    Purge events written before this change do not name the row they purged through, so an
    audit_purged event appended here records the checkpoint, and the checkpoint is bound to it.
    """
    from security.chain import GENESIS, checkpoint_seal, head_seal, purged_through_text, row_hash

    SecurityEvent = apps.get_model("security", "SecurityEvent")
    AuditChainHead = apps.get_model("security", "AuditChainHead")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    through = head.purged_through_sequence
    if through:
        event = SecurityEvent(
            sequence=head.sequence + 1,
            created_at=timezone.now(),
            kind="audit_purged",
            actor="migration security.0011_audit_chain_seals",
            reason=f"sealing the purge checkpoint left by an earlier purge: {purged_through_text(through)}",
            previous_hash=head.row_hash or GENESIS,
        )
        event.row_hash = row_hash(event.previous_hash, event)
        event.save(force_insert=True)
        head.sequence, head.row_hash = event.sequence, event.row_hash
        head.purge_event_sequence = event.sequence
        head.checkpoint_seal = checkpoint_seal(through, head.purged_through_hash, event.sequence)
    head.head_seal = head_seal(head.sequence, head.row_hash)
    head.save()


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0010_refused_busy_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="head_seal",
            field=models.CharField(db_default="", default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="purge_event_sequence",
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="checkpoint_seal",
            field=models.CharField(db_default="", default="", max_length=64),
        ),
        migrations.RunPython(seal_head_and_checkpoint, migrations.RunPython.noop),
    ]
