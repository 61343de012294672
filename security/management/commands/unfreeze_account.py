from django.utils.translation import gettext_lazy

from security.lockout import unfreeze_account

from .freeze_account import Command as FreezeCommand


class Command(FreezeCommand):
    help = gettext_lazy("Unfreeze a member's account and clear its failed sign-in attempts.")
    change = staticmethod(unfreeze_account)
    done = gettext_lazy("Unfroze %(username)s.")
    unchanged = gettext_lazy("%(username)s was not frozen; nothing changed.")
