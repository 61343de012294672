from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import create_member
from security.commands import OperatorCommand, operator_name, read_password
from security.usernames import find_account


class Command(OperatorCommand):
    help = gettext_lazy("Create a member account. Prompts for the password twice unless --password-stdin is given.")
    create = staticmethod(create_member)

    def created(self, account: User) -> str:
        return _("Created member %(username)s (%(email)s).") % {
            "username": account.get_username(),
            "email": account.email,
        }

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help=_("Read the password from the first line of standard input."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if find_account(options["username"]):
            raise CommandError(
                _("An account named %(username)s already exists.") % {"username": repr(options["username"])}
            )
        password = read_password(options["password_stdin"])
        try:
            account = self.create(
                username=options["username"],
                email=options["email"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
                actor=operator_name(),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(self.created(account))
