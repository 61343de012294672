from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext, gettext_lazy

from security.commands import OperatorCommand, member_or_error, operator_name, required_reason
from security.lockout import freeze_account


class Command(OperatorCommand):
    help = gettext_lazy("Freeze a member's account, as if the limit of failed sign-ins had been reached.")
    change = staticmethod(freeze_account)
    done = gettext_lazy("Froze %(username)s.")
    unchanged = gettext_lazy("%(username)s was already frozen; nothing changed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help=gettext("Why; written to the audit log."))

    def handle(self, *args: Any, **options: Any) -> None:
        member = member_or_error(options["username"])
        reason = required_reason(options["reason"])
        changed = self.change(member=member, reason=reason, actor=operator_name())
        self.stdout.write((self.done if changed else self.unchanged) % {"username": member.get_username()})
