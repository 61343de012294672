from typing import Any, cast

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext, gettext_lazy, ngettext

from security.commands import OperatorCommand, operator_name
from security.models import SecurityNotice
from security.tasks import describe, failed_notices, requeue


class Command(OperatorCommand):
    # Lazy, so --help reads in the language active when it is asked for (OperatorCommand).
    help = cast(str, gettext_lazy("List the security notices that could not be sent, or queue them again (audited)."))

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--failed", action="store_true", help=gettext("List the notices that could not be sent."))
        what.add_argument(
            "--requeue", type=int, metavar="ID", help=gettext("Queue this notice again, with fresh attempts.")
        )
        what.add_argument("--all-failed", action="store_true", help=gettext("Queue every failed notice again."))
        parser.add_argument("--reason", default="", help=gettext("Why, for the audit log."))
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext("With --all-failed: count them, queue nothing.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["failed"]:
            shown = 0
            for listed in failed_notices().order_by("id").iterator():
                row = describe(listed)
                member = row["member"] or gettext("(no member)")
                to = row["to"] or gettext("(no address)")
                created = f"{row['created']:%Y-%m-%d %H:%M:%S}Z"
                attempts = ngettext("%(count)d attempts", "%(count)d attempts", row["attempts"]) % {
                    "count": row["attempts"]
                }
                self.stdout.write(f"{row['id']}\t{row['kind']}\t{member}\t{to}\t{created}\t{attempts}\t{row['error']}")
                shown += 1
            self.stdout.write(
                ngettext("%(count)d failed notice(s).", "%(count)d failed notice(s).", shown) % {"count": shown}
            )
            return
        actor = operator_name()
        reason = options["reason"].strip()
        if options["requeue"] is not None:
            notice = SecurityNotice.objects.filter(pk=options["requeue"]).first()
            if notice is None:
                raise CommandError(gettext("No security notice has the id %(id)s.") % {"id": options["requeue"]})
            if not requeue(notice, actor=actor, reason=reason):
                facts = {"id": notice.pk, "status": notice.get_status_display().lower()}
                if not notice.to_address:
                    raise CommandError(gettext("Notice %(id)s is %(status)s and has no address to send to.") % facts)
                raise CommandError(gettext("Notice %(id)s is %(status)s: only a failed one is queued.") % facts)
            self.stdout.write(gettext("Notice %(id)s queued again.") % {"id": notice.pk})
            return
        failed = list(failed_notices().order_by("id"))
        if options["dry_run"]:
            self.stdout.write(
                ngettext(
                    "%(count)d failed notice(s) would be queued again.",
                    "%(count)d failed notice(s) would be queued again.",
                    len(failed),
                )
                % {"count": len(failed)}
            )
            return
        done = sum(requeue(notice, actor=actor, reason=reason) for notice in failed)
        self.stdout.write(
            ngettext(
                "%(done)d of %(count)d failed notice(s) queued again.",
                "%(done)d of %(count)d failed notice(s) queued again.",
                len(failed),
            )
            % {"done": done, "count": len(failed)}
        )
        if done < len(failed):
            left = len(failed) - done
            self.stdout.write(
                ngettext(
                    "%(count)d still have no address to send to.", "%(count)d still have no address to send to.", left
                )
                % {"count": left}
            )
