from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from security import twofactor
from security.commands import member_or_error, operator_name, required_reason


class Command(BaseCommand):
    help = "Remove a member's two-factor devices (a lost phone), after checking who they are."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="How the member's identity was checked; audited.")

    def handle(self, *args: Any, **options: Any) -> None:
        member = member_or_error(options["username"])
        reason = required_reason(options["reason"])
        if not twofactor.has_two_factor(member) and not twofactor.backup_codes_left(member):
            self.stdout.write(f"{member.get_username()} has no two-factor devices; nothing changed.")
            return
        twofactor.remove_two_factor(member=member, actor=operator_name(), reason=reason)
        self.stdout.write(f"Removed two-factor sign-in from {member.get_username()}.")
