from security.lockout import unfreeze_account

from .freeze_account import Command as FreezeCommand


class Command(FreezeCommand):
    help = "Unfreeze a member's account and clear its failed sign-in attempts."
    change = staticmethod(unfreeze_account)
    done = "Unfroze {username}."
    unchanged = "{username} was not frozen; nothing changed."
