from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext

from security.commands import OperatorCommand
from security.lockout import frozen_usernames
from security.usernames import usernames_of_accounts


class Command(OperatorCommand):
    help = gettext_lazy("List frozen member accounts, with their failed attempts and the last one's time.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--include-unknown",
            action="store_true",
            help=gettext("Also list frozen usernames that name no member (targets of guessing)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = list(frozen_usernames())
        members = usernames_of_accounts(row["username"] for row in rows)
        shown = 0
        for row in rows:
            is_member = row["username"] in members
            if not is_member and not options["include_unknown"]:
                continue
            label = "" if is_member else "  " + gettext("(no such member)")
            failures = ngettext("%(count)d failures", "%(count)d failures", row["failures"]) % {
                "count": row["failures"]
            }
            last = pgettext("the time of the last failed attempt", "last %(time)s") % {
                "time": f"{row['last_attempt']:%Y-%m-%d %H:%M:%S}Z"
            }
            self.stdout.write(f"{row['username']}\t{failures}\t{last}{label}")
            shown += 1
        self.stdout.write(
            ngettext("%(count)d frozen account(s).", "%(count)d frozen account(s).", shown) % {"count": shown}
        )
