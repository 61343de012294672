from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the cost in settings; a hash made with other parameters is upgraded at sign-in."""

    @property
    def time_cost(self):
        return settings.PORTAL_ARGON2_TIME_COST

    @property
    def memory_cost(self):
        return settings.PORTAL_ARGON2_MEMORY_KIB

    @property
    def parallelism(self):
        return settings.PORTAL_ARGON2_PARALLELISM
