from django.utils.translation import gettext_lazy

from security.reset import unlock

from .freeze_account import Command as FreezeCommand


class Command(FreezeCommand):
    help = gettext_lazy(
        "Unlock the self-service password reset of a member, locked after too many wrong answers or codes "
        "(check who is asking first)."
    )
    change = staticmethod(unlock)
    done = gettext_lazy("Unlocked the password reset of %(username)s.")
    unchanged = gettext_lazy("The password reset of %(username)s was not locked; nothing changed.")
