import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from security.checks import check_idle_warning


def ids(errors):
    return [error.id for error in errors]


def test_it_accepts_the_shipped_idle_times():
    assert check_idle_warning(None) == []


@pytest.mark.parametrize("warning, idle", [(900, 900), (1200, 900), (0, 900), (-5, 900), (120, 60)])
def test_it_refuses_a_warning_that_is_not_before_the_idle_limit(settings, warning, idle):
    settings.PORTAL_IDLE_WARNING_SECONDS, settings.PORTAL_IDLE_TIMEOUT_SECONDS = warning, idle
    assert ids(check_idle_warning(None)) == ["security.E031"]


def test_the_portal_will_not_start_with_it(settings):
    settings.PORTAL_IDLE_WARNING_SECONDS, settings.PORTAL_IDLE_TIMEOUT_SECONDS = 120, 60
    with pytest.raises(SystemCheckError, match="security.E031"):
        call_command("check")
