from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from security.chain import ChainBroken
from security.commands import operator_name
from security.retention import PurgeConflict, purge, purge_counts


class Command(BaseCommand):
    help = "Delete audit events and sign-in logs older than the retention period (the chain stays verifiable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            default=settings.PORTAL_AUDIT_RETENTION_DAYS,
            help=f"Age in days (default: the retention setting, {settings.PORTAL_AUDIT_RETENTION_DAYS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        if days < 1:
            raise CommandError("--older-than must be at least 1 day.")
        if options["dry_run"]:
            cutoff, counts = purge_counts(days)
            self.stdout.write(f"Would delete, from before {cutoff:%Y-%m-%d %H:%M} UTC:")
        else:
            try:
                counts = purge(older_than_days=days, actor=operator_name())
            except ChainBroken as error:
                raise CommandError(
                    f"Nothing was purged: the audit log was tampered with at {error.broken}."
                    " Purging now would delete the evidence; run verify_audit and investigate first."
                ) from error
            except PurgeConflict as error:
                raise CommandError(f"Nothing was purged: {error}. Run purge_audit again.") from error
            self.stdout.write(f"Deleted, from more than {days} days ago:")
        for name, count in counts.items():
            self.stdout.write(f"  {count:,} {name}")
