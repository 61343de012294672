import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection

from security.chain import SealRun, seal_pending


class Command(BaseCommand):
    help = "Seal audit events written since the last seal into the hash chain (--loop: keep doing so)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep sealing until stopped (SIGTERM or Ctrl-C).")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="With --loop: how long to wait between seals (default: 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if not 0.05 <= interval <= 3600:
            raise CommandError("--interval must be between 0.05 and 3600 seconds.")
        if not options["loop"]:
            self.report(seal_pending(wait=True), quiet=False)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Sealing audit events every {interval:g} s; stop with SIGTERM or Ctrl-C.")
        try:
            while not stop.is_set():
                try:
                    self.report(seal_pending(wait=True), quiet=True)
                except DatabaseError as error:
                    # A database restart must not end the loop: the next round tries again.
                    self.stderr.write(f"Sealing failed, trying again in {interval:g} s: {error}")
                    connection.close()
                close_old_connections()
                stop.wait(interval)
        except KeyboardInterrupt:
            pass
        self.stdout.write("Stopped.")

    def report(self, run: SealRun, *, quiet: bool) -> None:
        if run.sealed or not quiet:
            self.stdout.write(f"Sealed {run.sealed:,} audit events.")
        if run.refused:
            shown = ", ".join(str(event_id) for event_id in run.refused[:20])
            self.stderr.write(
                f"Left unsealed: {len(run.refused):,} events fail their entry MAC (altered, or written outside"
                f" the portal): ids {shown}. Run verify_audit and investigate."
            )
