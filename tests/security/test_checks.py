import pytest

from security.checks import check_freeze_policy, check_hash_queue, check_password_hashing, check_reset_limits


def ids(errors):
    return [error.id for error in errors]


def test_it_accepts_the_shipped_policy(settings):
    settings.PASSWORD_HASHERS = settings.PASSWORD_HASHERS[1:]  # without the fast test hasher
    assert check_password_hashing(None) == [] and check_freeze_policy(None) == []


def test_it_refuses_argon2_below_the_owasp_minimum(settings):
    settings.PASSWORD_HASHERS = settings.PASSWORD_HASHERS[1:]
    settings.PORTAL_ARGON2_MEMORY_KIB = 16384
    assert ids(check_password_hashing(None)) == ["security.E002"]
    settings.PORTAL_ARGON2_MEMORY_KIB, settings.PORTAL_ARGON2_TIME_COST = 19456, 1
    assert ids(check_password_hashing(None)) == ["security.E002"]


def test_it_refuses_a_weaker_first_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    assert ids(check_password_hashing(None)) == ["security.E001"]


def test_it_refuses_a_cool_off_or_a_drifting_limit(settings):
    settings.AXES_COOLOFF_TIME = 1
    assert ids(check_freeze_policy(None)) == ["security.E003"]
    settings.AXES_COOLOFF_TIME, settings.AXES_FAILURE_LIMIT = None, 10
    assert ids(check_freeze_policy(None)) == ["security.E003"]


def test_it_refuses_counting_failures_by_anything_but_the_username(settings):
    assert ids(check_freeze_policy(None)) == []
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    assert ids(check_freeze_policy(None)) == ["security.E003"]


@pytest.mark.parametrize(("per_period", "total"), [(5, 11), (5, 4), (0, 10), (5, 0)])
def test_it_refuses_reset_limits_that_are_unbounded_or_unreachable(settings, per_period, total):
    settings.PORTAL_RESET_FAILURE_LIMIT, settings.PORTAL_RESET_TOTAL_FAILURE_LIMIT = per_period, total
    assert ids(check_reset_limits(None)) == ["security.E020"]


def test_it_accepts_the_shipped_reset_limits(settings):
    assert check_reset_limits(None) == []


def test_it_refuses_a_hash_queue_with_no_place(settings):
    settings.PORTAL_HASH_QUEUE_LIMIT = 0
    assert ids(check_hash_queue(None)) == ["security.E021"]
    settings.PORTAL_HASH_QUEUE_LIMIT = 1
    assert check_hash_queue(None) == []
