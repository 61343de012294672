from functools import partial
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import STAFF_ROLES, create_staff

from .create_member import Command as CreateMemberCommand


class Command(CreateMemberCommand):
    help = gettext_lazy(
        "Create a support staff account in a role (support or security); it must turn on two-factor "
        "sign-in at its first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # Required: a staff account with no role would see an empty support site.
        parser.add_argument("--role", required=True, choices=sorted(STAFF_ROLES))

    def handle(self, *args: Any, **options: Any) -> None:
        self.role = STAFF_ROLES[options["role"]]
        self.create = partial(create_staff, role=options["role"])
        super().handle(*args, **options)

    def created(self, account: User) -> str:
        return _("Created staff account %(username)s (%(role)s role); two-factor enrollment at first sign-in.") % {
            "username": account.get_username(),
            "role": self.role,
        }
