from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import create_member
from security.commands import operator_name, read_password
from security.usernames import find_account


class Command(BaseCommand):
    help = "Create a member account. Prompts for the password twice unless --password-stdin is given."
    create = staticmethod(create_member)
    created = "Created member {username} ({email})."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if find_account(options["username"]):
            raise CommandError(f"An account named {options['username']!r} already exists.")
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
        self.stdout.write(self.created.format(username=account.get_username(), email=account.email))
