from django.core.management.base import BaseCommand, CommandError

from security.chain import verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain; report the first altered, inserted or removed row."

    def handle(self, *args, **options):
        def progress(checked):
            self.stderr.write(f"  {checked:,} rows checked...")

        problem, checked = verify(progress=progress if options["verbosity"] > 1 else None)
        if problem is not None:
            raise CommandError(f"The audit log was tampered with at {problem}. {checked:,} rows before it are intact.")
        self.stdout.write(f"The audit log is intact: {checked:,} rows verified.")
