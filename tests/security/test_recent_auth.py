"""The recent-authentication window: just after signing in or confirming it's you, no password again."""

import pytest

from security import lockout
from security.checks import check_recent_auth_window
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
WINDOW = 300
PASSWORD_INPUT = 'name="current_password"'
ASKING_PAGES = ["/profile/email/", "/accounts/security/questions/", "/accounts/security/two-factor/setup/"]


@pytest.fixture
def signed_in(client, member, clock, settings):
    settings.PORTAL_RECENT_AUTH_SECONDS = WINDOW
    sign_in(client, "alice", MEMBER_PASSWORD)
    return client


@pytest.mark.parametrize("path", ASKING_PAGES)
def test_within_the_window_the_page_does_not_ask_for_the_password(signed_in, path):
    page = signed_in.get(path, follow=True).content.decode()
    assert PASSWORD_INPUT not in page


def test_within_the_window_the_change_works_without_the_password(signed_in, member):
    response = signed_in.post("/profile/email/", {"email": "alice.new@example.org"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.pending_email == "alice.new@example.org"
    assert Kind.EMAIL_CHANGE_REQUESTED in event_kinds(member=member)


def test_within_the_window_two_factor_setup_goes_straight_to_the_code(signed_in, member):
    page = signed_in.get("/accounts/security/two-factor/setup/", follow=True).content.decode()
    assert "<svg" in page and PASSWORD_INPUT not in page


def test_within_the_window_new_backup_codes_need_no_password(signed_in, member, enroll_totp):
    enroll_totp(member)
    assert PASSWORD_INPUT not in signed_in.get("/accounts/security/two-factor/").content.decode()
    assert signed_in.post("/accounts/security/two-factor/backup-codes/").status_code == 200


@pytest.mark.parametrize("path", ASKING_PAGES)
def test_after_the_window_the_page_asks_again(signed_in, clock, path):
    clock.advance(WINDOW)
    assert PASSWORD_INPUT in signed_in.get(path, follow=True).content.decode()


def test_after_the_window_the_change_needs_the_password(signed_in, member, clock):
    clock.advance(WINDOW)
    response = signed_in.post("/profile/email/", {"email": "alice.new@example.org"})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    member.refresh_from_db()
    assert member.email == "alice@example.com"


@pytest.mark.parametrize("path", ["/accounts/security/password/", "/accounts/security/two-factor/remove/"])
def test_changing_the_password_or_turning_two_factor_off_always_asks(signed_in, member, enroll_totp, path):
    enroll_totp(member)
    assert PASSWORD_INPUT in signed_in.get(path).content.decode()


def test_turning_two_factor_off_within_the_window_still_checks_the_password(signed_in, member, enroll_totp):
    device = enroll_totp(member)
    fields = {"current_password": "not my password", "code": totp_code(device)}
    assert signed_in.post("/accounts/security/two-factor/remove/", fields).status_code == 200
    assert lockout.failure_count("alice") == 1 and device.__class__.objects.filter(pk=device.pk).exists()


def test_a_lock_closes_the_window_and_a_confirmation_opens_it_again(signed_in, clock):
    navigate = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "sec-fetch-site": "none"}
    signed_in.get("/profile/", headers=navigate)
    clock.advance(WINDOW)
    signed_in.post("/accounts/confirm/", {"current_password": MEMBER_PASSWORD, "next": "/profile/email/"})
    assert PASSWORD_INPUT not in signed_in.get("/profile/email/").content.decode()


def test_a_window_of_zero_always_asks(signed_in, settings):
    settings.PORTAL_RECENT_AUTH_SECONDS = 0
    assert PASSWORD_INPUT in signed_in.get("/profile/email/").content.decode()


@pytest.mark.parametrize(
    "window, errors", [(0, []), (300, []), (900, []), (901, ["security.E030"]), (-1, ["security.E030"])]
)
def test_the_window_must_lie_between_zero_and_the_idle_limit(settings, window, errors):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 900
    settings.PORTAL_RECENT_AUTH_SECONDS = window
    assert [error.id for error in check_recent_auth_window(None)] == errors
