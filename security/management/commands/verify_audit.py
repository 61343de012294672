import argparse
import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from security.chain import check_unsealed, verify


def witness(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"([1-9][0-9]*):([0-9a-f]{64})", value.strip())
    if match is None:
        raise argparse.ArgumentTypeError("give ROW:HASH exactly as an earlier verify_audit printed it")
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain, its sealed ends and the events not yet sealed; report the first"
        " altered, inserted or removed row. Seals nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--witness",
            type=witness,
            metavar="ROW:HASH",
            help="A chain head printed by an earlier run and kept outside the database: the log must still reach it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(checked: int) -> None:
            self.stderr.write(f"  {checked:,} rows checked...")

        verbose = options["verbosity"] > 1
        problem, checked, end = verify(progress=progress if verbose else None, witness=options["witness"])
        if problem is not None:
            intact = f" {checked:,} rows before it are intact." if checked else ""
            raise CommandError(f"The audit log was tampered with at {problem}.{intact}")
        unsealed = check_unsealed()
        if unsealed.altered is not None:
            raise CommandError(
                f"The audit log was tampered with at {unsealed.altered}. {checked:,} sealed rows are intact."
            )
        if unsealed.overdue():
            bound = settings.PORTAL_AUDIT_SEAL_MAX_AGE_SECONDS
            raise CommandError(
                f"{unsealed.waiting:,} audit events are not sealed, the oldest since"
                f" {unsealed.oldest_at:%Y-%m-%d %H:%M:%S} UTC: more than {bound} seconds, so the sealer is not"
                f" running (start seal_audit --loop, or check the app's log). {checked:,} sealed rows are intact."
            )
        self.stdout.write(f"The audit log is intact: {checked:,} rows verified.")
        if unsealed.waiting:
            self.stdout.write(f"{unsealed.waiting:,} events written in the last seconds wait to be sealed.")
        if end is not None and end[0]:
            self.stdout.write(
                f"Witness (keep it outside the database, give it to --witness next time): {end[0]}:{end[1]}"
            )
