import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.seeding import DEMO_USERNAME, seed_demo

BAR_WIDTH = 30


class Command(BaseCommand):
    help = format_lazy(
        _(
            "Make demo data: plans, providers, the '{username}' member's family and claims (once), "
            "and with --members N that many more members (with no password: set_member_password gives one). "
            "Safe to run again: it only adds what is missing."
        ),
        username=DEMO_USERNAME,
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=0, help=_("How many more members to make (member00001, ...).")
        )

    def handle(self, *args, **options):
        members = options["members"]
        if members < 0:
            raise CommandError(gettext("--members must be 0 or more."))
        started = time.monotonic()
        created = seed_demo(members=members, progress=self._progress if members else None)
        seconds = time.monotonic() - started
        if created["demo_members"]:
            done = gettext("Demo member '%(username)s': coverage, family and claims created.")
        else:
            done = gettext("Demo member '%(username)s': already has its data; left as it was.")
        self.stdout.write(done % {"username": DEMO_USERNAME})
        plans, providers, people, dependents, claims, lines = (
            created[name] for name in ("plans", "providers", "members", "dependents", "claims", "service_lines")
        )
        counts = [
            ngettext("%(count)s plan", "%(count)s plans", plans) % {"count": plans},
            ngettext("%(count)s provider", "%(count)s providers", providers) % {"count": providers},
            ngettext("%(count)s member", "%(count)s members", people) % {"count": people},
            ngettext("%(count)s dependent", "%(count)s dependents", dependents) % {"count": dependents},
            ngettext("%(count)s claim", "%(count)s claims", claims) % {"count": claims},
            ngettext("%(count)s service line", "%(count)s service lines", lines) % {"count": lines},
        ]
        summary = gettext("Created %(counts)s in %(seconds)s s.")
        self.stdout.write(summary % {"counts": ", ".join(counts), "seconds": f"{seconds:.1f}"})

    def _progress(self, done, total):
        """A bar redrawn in place on a terminal; one line per batch in a log."""
        if self.stderr.isatty():
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            progress = gettext("Members [%(bar)s] %(done)s/%(total)s") % {"bar": bar, "done": done, "total": total}
            self.stderr.write(f"\r{progress}", ending="\n" if done == total else "", style_func=str)
            self.stderr.flush()
        else:
            self.stderr.write(gettext("Members: %(done)s/%(total)s") % {"done": done, "total": total}, style_func=str)
