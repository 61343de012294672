from security.reset import unlock

from .freeze_account import Command as FreezeCommand


class Command(FreezeCommand):
    help = (
        "Unlock the self-service password reset of a member, locked after too many wrong answers or codes "
        "(check who is asking first)."
    )
    change = staticmethod(unlock)
    done = "Unlocked the password reset of {username}."
    unchanged = "The password reset of {username} was not locked; nothing changed."
