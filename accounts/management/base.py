"""What the accounts commands share: help text marked for translation."""

from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandParser

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class TranslatedHelpCommand(BaseCommand):
    """A command whose `help` is gettext_lazy: argparse wraps the description as a str, so it gets one."""

    help: "StrOrPromise" = ""  # type: ignore[assignment]  # django-stubs says str; create_parser makes it one

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(self.help)  # in the language active when --help is asked for
        return parser
