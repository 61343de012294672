"""What the operator commands share.

Their counted lines keep the English they always printed for every count (an operator's script may
read them), so each ngettext there has the same English twice; the Spanish has both forms.
"""

import getpass
import sys
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from .usernames import find_account

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OperatorCommand(BaseCommand):
    """A command whose `help` is gettext_lazy: argparse wraps the description as a str, so it gets one."""

    help: "StrOrPromise" = ""  # type: ignore[assignment]  # django-stubs says str; create_parser makes it one

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(self.help)  # in the language active when --help is asked for
        return parser


def operator_name() -> str:
    """The audit log's actor for a command: the operator's login on this machine."""
    try:
        return f"operator:{getpass.getuser()}"
    except OSError:
        return "operator:unknown"


def member_or_error(username: str) -> Any:
    member = find_account(username)
    if member is None:
        raise CommandError(gettext("No member is named %(username)s.") % {"username": repr(username)})
    return member


def required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CommandError(gettext("Give a reason with --reason; it is written to the audit log."))
    return reason


def read_password(from_stdin: bool) -> str:
    """The new account's password: the first line of standard input, or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError(gettext("No terminal to prompt for a password; use --password-stdin."))
    password = getpass.getpass(gettext("Password: "))
    if password != getpass.getpass(gettext("Password (again): ")):
        raise CommandError(gettext("The two passwords do not match."))
    return password
