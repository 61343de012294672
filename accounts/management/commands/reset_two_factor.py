from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security import twofactor
from security.commands import OperatorCommand, member_or_error, operator_name, required_reason


class Command(OperatorCommand):
    help = gettext_lazy("Remove a member's two-factor devices (a lost phone), after checking who they are.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help=_("How the member's identity was checked; audited."))

    def handle(self, *args: Any, **options: Any) -> None:
        member = member_or_error(options["username"])
        reason = required_reason(options["reason"])
        if not twofactor.has_two_factor(member) and not twofactor.backup_codes_left(member):
            self.stdout.write(
                _("%(username)s has no two-factor devices; nothing changed.") % {"username": member.get_username()}
            )
            return
        twofactor.remove_two_factor(member=member, actor=operator_name(), reason=reason)
        self.stdout.write(_("Removed two-factor sign-in from %(username)s.") % {"username": member.get_username()})
