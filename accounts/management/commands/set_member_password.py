from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import set_password_by_operator
from security.commands import OperatorCommand, member_or_error, operator_name, read_password, required_reason


class Command(OperatorCommand):
    help = gettext_lazy(
        "Set a member's password from the operator's terminal (demo accounts, a verified recovery); audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help=_("Why; written to the audit log."))
        parser.add_argument("--password-stdin", action="store_true", help=_("Read the password from standard input."))
        parser.add_argument(
            "--require-change",
            action="store_true",
            help=_("The member must choose a new password at the next sign-in."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        member = member_or_error(options["username"])
        reason = required_reason(options["reason"])
        password = read_password(options["password_stdin"])
        try:
            set_password_by_operator(
                member=member,
                password=password,
                actor=operator_name(),
                reason=reason,
                require_change=options["require_change"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            _("Set a new password for %(username)s; its other sessions are signed out.")
            % {"username": member.get_username()}
        )
