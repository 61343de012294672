from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from security.commands import member_or_error, operator_name, required_reason
from security.lockout import freeze_account


class Command(BaseCommand):
    help = "Freeze a member's account, as if the limit of failed sign-ins had been reached."
    change = staticmethod(freeze_account)
    done = "Froze {username}."
    unchanged = "{username} was already frozen; nothing changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why; written to the audit log.")

    def handle(self, *args: Any, **options: Any) -> None:
        member = member_or_error(options["username"])
        reason = required_reason(options["reason"])
        changed = self.change(member=member, reason=reason, actor=operator_name())
        self.stdout.write((self.done if changed else self.unchanged).format(username=member.get_username()))
