import argparse
import re
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext, gettext_lazy, ngettext

from security.chain import check_unsealed, verify
from security.commands import OperatorCommand


def witness(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"([1-9][0-9]*):([0-9a-f]{64})", value.strip())
    if match is None:
        raise argparse.ArgumentTypeError(gettext("give ROW:HASH exactly as an earlier verify_audit printed it"))
    return int(match.group(1)), match.group(2)


class Command(OperatorCommand):
    help = gettext_lazy(
        "Check the audit log's hash chain, its sealed ends and the events not yet sealed; report the first"
        " altered, inserted or removed row. Seals nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--witness",
            type=witness,
            metavar="ROW:HASH",
            help=gettext(
                "A chain head printed by an earlier run and kept outside the database: the log must still reach it."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(checked: int) -> None:
            self.stderr.write("  " + gettext("%(count)s rows checked...") % {"count": f"{checked:,}"})

        verbose = options["verbosity"] > 1
        problem, checked, end = verify(progress=progress if verbose else None, witness=options["witness"])
        if problem is not None:
            if checked:
                intact = ngettext(
                    "The audit log was tampered with at %(place)s. %(count)s rows before it are intact.",
                    "The audit log was tampered with at %(place)s. %(count)s rows before it are intact.",
                    checked,
                )
                raise CommandError(intact % {"place": problem, "count": f"{checked:,}"})
            raise CommandError(gettext("The audit log was tampered with at %(place)s.") % {"place": problem})
        unsealed = check_unsealed()
        if unsealed.altered is not None:
            raise CommandError(
                ngettext(
                    "The audit log was tampered with at %(place)s. %(count)s sealed rows are intact.",
                    "The audit log was tampered with at %(place)s. %(count)s sealed rows are intact.",
                    checked,
                )
                % {"place": unsealed.altered, "count": f"{checked:,}"}
            )
        if unsealed.overdue():
            bound = settings.PORTAL_AUDIT_SEAL_MAX_AGE_SECONDS
            raise CommandError(
                gettext(
                    "%(waiting)s audit events are not sealed, the oldest since %(oldest)s UTC: more than"
                    " %(bound)s seconds, so the sealer is not running (start seal_audit --loop, or check the"
                    " app's log). %(count)s sealed rows are intact."
                )
                % {
                    "waiting": f"{unsealed.waiting:,}",
                    "oldest": f"{unsealed.oldest_at:%Y-%m-%d %H:%M:%S}",
                    "bound": bound,
                    "count": f"{checked:,}",
                }
            )
        self.stdout.write(
            ngettext(
                "The audit log is intact: %(count)s rows verified.",
                "The audit log is intact: %(count)s rows verified.",
                checked,
            )
            % {"count": f"{checked:,}"}
        )
        if unsealed.waiting:
            self.stdout.write(
                ngettext(
                    "%(count)s events written in the last seconds wait to be sealed.",
                    "%(count)s events written in the last seconds wait to be sealed.",
                    unsealed.waiting,
                )
                % {"count": f"{unsealed.waiting:,}"}
            )
        if end is not None and end[0]:
            self.stdout.write(
                gettext("Witness (keep it outside the database, give it to --witness next time): %(witness)s")
                % {"witness": f"{end[0]}:{end[1]}"}
            )
