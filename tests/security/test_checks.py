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


def test_it_accepts_the_shipped_minimum_browsers_and_plain_numbers(settings):
    from security.checks import check_minimum_browsers

    assert check_minimum_browsers(None) == []
    settings.PORTAL_MINIMUM_BROWSERS = {"Chrome": 130, "Safari": "17.0.1"}
    assert check_minimum_browsers(None) == []


@pytest.mark.parametrize(
    ("minimums", "wanted"),
    [
        ({"Safari": "15.x"}, ["security.E033"]),
        ({"Chrome": ""}, ["security.E033"]),
        ({"Firefox": "98."}, ["security.E033"]),
        ({"Edge": True}, ["security.E033"]),
        ({"Internet Explorer": "11"}, ["security.E032"]),
        ({"chrome": "88", "Safari": "v15"}, ["security.E032", "security.E033"]),
    ],
)
def test_it_refuses_a_minimum_browser_it_could_not_judge_by(settings, minimums, wanted):
    from security.checks import check_minimum_browsers

    settings.PORTAL_MINIMUM_BROWSERS = minimums
    assert ids(check_minimum_browsers(None)) == wanted


def test_the_portal_will_not_start_with_a_malformed_minimum_browser(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.PORTAL_MINIMUM_BROWSERS = {**settings.PORTAL_MINIMUM_BROWSERS, "Safari": "15.x"}
    with pytest.raises(SystemCheckError, match="security.E033"):
        call_command("check")
