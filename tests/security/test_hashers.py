"""The Argon2id hasher: a process computes a bounded number of hashes at once."""

import threading
import time

import pytest
from argon2 import PasswordHasher

from security.hashers import PortalArgon2PasswordHasher

PASSWORD = "correct horse battery staple"


@pytest.fixture
def most_at_once(monkeypatch):
    """Watches Argon2 verifications: the most that were under way together."""
    running, most = [0], [0]
    lock = threading.Lock()
    real_verify = PasswordHasher.verify

    def watched_verify(self, hash, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for the other threads to arrive meanwhile
        try:
            return real_verify(self, hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(PasswordHasher, "verify", watched_verify)
    return lambda: most[0]


def verify_at_once(count):
    hasher = PortalArgon2PasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    results = []
    threads = [threading.Thread(target=lambda: results.append(hasher.verify(PASSWORD, encoded))) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_it_computes_one_hash_at_a_time_per_process_by_default(settings, most_at_once):
    assert settings.PORTAL_ARGON2_HASHES_AT_ONCE == 1
    assert verify_at_once(6) == [True] * 6
    assert most_at_once() == 1


def test_it_computes_as_many_at_once_as_configured(settings, most_at_once):
    settings.PORTAL_ARGON2_HASHES_AT_ONCE = 3
    assert verify_at_once(6) == [True] * 6
    assert most_at_once() == 3
