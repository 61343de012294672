from accounts.services import create_staff

from .create_member import Command as CreateMemberCommand


class Command(CreateMemberCommand):
    help = "Create a support staff account; it must turn on two-factor sign-in at its first sign-in."
    create = staticmethod(create_staff)
    created = "Created staff account {username}; two-factor enrollment at first sign-in."
