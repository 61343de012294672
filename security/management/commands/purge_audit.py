from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext, gettext_lazy, ngettext, npgettext

from security.chain import ChainBroken
from security.commands import OperatorCommand, operator_name
from security.retention import PurgeConflict, purge, purge_counts

# The words for what retention.purge_counts counts (its keys stay English: they go into the audit reason).
COUNTED = {
    "audit events": lambda n: ngettext("audit event", "audit events", n),
    "sign-in logs": lambda n: ngettext("sign-in log", "sign-in logs", n),
    "failure logs": lambda n: ngettext("failure log", "failure logs", n),
    "ended sessions": lambda n: ngettext("ended session", "ended sessions", n),
    "security notices": lambda n: npgettext("purged", "security notice", "security notices", n),
}


class Command(OperatorCommand):
    help = gettext_lazy(
        "Delete audit events and sign-in logs older than the retention period (the chain stays verifiable)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            default=settings.PORTAL_AUDIT_RETENTION_DAYS,
            help=gettext("Age in days (default: the retention setting, %(days)s).")
            % {"days": settings.PORTAL_AUDIT_RETENTION_DAYS},
        )
        parser.add_argument("--dry-run", action="store_true", help=gettext("Only count what would be deleted."))

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        if days < 1:
            raise CommandError(gettext("--older-than must be at least 1 day."))
        if options["dry_run"]:
            cutoff, counts = purge_counts(days)
            self.stdout.write(gettext("Would delete, from before %(time)s UTC:") % {"time": f"{cutoff:%Y-%m-%d %H:%M}"})
        else:
            try:
                counts = purge(older_than_days=days, actor=operator_name())
            except ChainBroken as error:
                raise CommandError(
                    gettext(
                        "Nothing was purged: the audit log was tampered with at %(place)s."
                        " Purging now would delete the evidence; run verify_audit and investigate first."
                    )
                    % {"place": error.broken}
                ) from error
            except PurgeConflict as error:
                raise CommandError(
                    gettext("Nothing was purged: %(error)s. Run purge_audit again.") % {"error": error}
                ) from error
            self.stdout.write(
                ngettext(
                    "Deleted, from more than %(days)s days ago:", "Deleted, from more than %(days)s days ago:", days
                )
                % {"days": days}
            )
        for name, count in counts.items():
            self.stdout.write(f"  {count:,} {COUNTED[name](count)}")
