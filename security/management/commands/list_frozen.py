from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from security.lockout import frozen_usernames
from security.usernames import usernames_of_accounts


class Command(BaseCommand):
    help = "List frozen member accounts, with their failed attempts and the last one's time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--include-unknown",
            action="store_true",
            help="Also list frozen usernames that name no member (targets of guessing).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = list(frozen_usernames())
        members = usernames_of_accounts(row["username"] for row in rows)
        shown = 0
        for row in rows:
            is_member = row["username"] in members
            if not is_member and not options["include_unknown"]:
                continue
            label = "" if is_member else "  (no such member)"
            last = f"{row['last_attempt']:%Y-%m-%d %H:%M:%S}Z"
            self.stdout.write(f"{row['username']}\t{row['failures']} failures\tlast {last}{label}")
            shown += 1
        self.stdout.write(f"{shown} frozen account(s).")
