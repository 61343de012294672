import threading

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

_slots = {}
_slots_lock = threading.Lock()


def hash_slots():
    """The semaphore that bounds how many Argon2 hashes this process computes at once."""
    size = settings.PORTAL_ARGON2_HASHES_AT_ONCE
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the cost in settings; a hash made with other parameters is upgraded at sign-in.

    Each process computes at most PORTAL_ARGON2_HASHES_AT_ONCE hashes at a time (default 1, with one
    worker process per core); its other threads go on with their database work meanwhile. More
    hashes at once than cores would not finish any sooner: they would share the cores, and each
    hash's memory (19 MiB and up) would push the others' out of the processor's caches, so every
    hash costs more CPU (measured with bench/signin.py: 27.8 ms instead of 24.9 ms).
    """

    @property
    def time_cost(self):
        return settings.PORTAL_ARGON2_TIME_COST

    @property
    def memory_cost(self):
        return settings.PORTAL_ARGON2_MEMORY_KIB

    @property
    def parallelism(self):
        return settings.PORTAL_ARGON2_PARALLELISM

    def encode(self, password, salt):
        with hash_slots():
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with hash_slots():
            return super().verify(password, encoded)
