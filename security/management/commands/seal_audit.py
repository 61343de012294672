import signal
import threading
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils.translation import gettext, gettext_lazy, ngettext

from security.chain import SealRun, seal_pending
from security.commands import OperatorCommand


class Command(OperatorCommand):
    help = gettext_lazy("Seal audit events written since the last seal into the hash chain (--loop: keep doing so).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help=gettext("Keep sealing until stopped (SIGTERM or Ctrl-C).")
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help=gettext("With --loop: how long to wait between seals (default: 1)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if not 0.05 <= interval <= 3600:
            raise CommandError(gettext("--interval must be between 0.05 and 3600 seconds."))
        if not options["loop"]:
            self.report(seal_pending(wait=True), quiet=False)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(
            gettext("Sealing audit events every %(interval)s s; stop with SIGTERM or Ctrl-C.")
            % {"interval": f"{interval:g}"}
        )
        try:
            while not stop.is_set():
                try:
                    self.report(seal_pending(wait=True), quiet=True)
                except DatabaseError as error:
                    # A database restart must not end the loop: the next round tries again.
                    self.stderr.write(
                        gettext("Sealing failed, trying again in %(interval)s s: %(error)s")
                        % {"interval": f"{interval:g}", "error": error}
                    )
                    connection.close()
                close_old_connections()
                stop.wait(interval)
        except KeyboardInterrupt:
            pass
        self.stdout.write(gettext("Stopped."))

    def report(self, run: SealRun, *, quiet: bool) -> None:
        if run.sealed or not quiet:
            self.stdout.write(
                ngettext("Sealed %(count)s audit events.", "Sealed %(count)s audit events.", run.sealed)
                % {"count": f"{run.sealed:,}"}
            )
        if run.refused:
            shown = ", ".join(str(event_id) for event_id in run.refused[:20])
            self.stderr.write(
                ngettext(
                    "Left unsealed: %(count)s events fail their entry MAC (altered, or written outside"
                    " the portal): ids %(ids)s. Run verify_audit and investigate.",
                    "Left unsealed: %(count)s events fail their entry MAC (altered, or written outside"
                    " the portal): ids %(ids)s. Run verify_audit and investigate.",
                    len(run.refused),
                )
                % {"count": f"{len(run.refused):,}", "ids": shown}
            )
