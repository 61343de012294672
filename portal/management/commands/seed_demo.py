import time

from django.core.management.base import BaseCommand, CommandError

from portal.seeding import DEMO_USERNAME, seed_demo

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        f"Make demo data: plans, providers, the {DEMO_USERNAME!r} member's family and claims (once), "
        "and with --members N that many more members (with no password: set_member_password gives one). "
        "Safe to run again: it only adds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=0, help="How many more members to make (member00001, ...).")

    def handle(self, *args, **options):
        members = options["members"]
        if members < 0:
            raise CommandError("--members must be 0 or more.")
        started = time.monotonic()
        created = seed_demo(members=members, progress=self._progress if members else None)
        seconds = time.monotonic() - started
        if created["demo_members"]:
            self.stdout.write(f"Demo member {DEMO_USERNAME!r}: coverage, family and claims created.")
        else:
            self.stdout.write(f"Demo member {DEMO_USERNAME!r}: already has its data; left as it was.")
        counts = ", ".join(
            f"{created[name]} {label}"
            for name, label in [
                ("plans", "plans"),
                ("providers", "providers"),
                ("members", "members"),
                ("dependents", "dependents"),
                ("claims", "claims"),
                ("service_lines", "service lines"),
            ]
        )
        self.stdout.write(f"Created {counts} in {seconds:.1f} s.")

    def _progress(self, done, total):
        """A bar redrawn in place on a terminal; one line per batch in a log."""
        if self.stderr.isatty():
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stderr.write(f"\rMembers [{bar}] {done}/{total}", ending="\n" if done == total else "", style_func=str)
            self.stderr.flush()
        else:
            self.stderr.write(f"Members: {done}/{total}", style_func=str)
