"""Signing in right after turning on two-factor: the set-up code is on the app's screen for up to 30 seconds."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import event_kinds, sign_in

SETUP = "/accounts/security/two-factor/setup/"
CODE_URL = "/accounts/login/code/"
REMOVE = "/accounts/security/two-factor/remove/"
JUST_USED = "That code was just used. Wait for your app to show a new one, then enter it."
Kind = SecurityEvent.Kind


@pytest.fixture
def frozen_time(monkeypatch):
    """django-otp reads time.time(): held at the start of a 30-second step until a test moves it."""

    class Now:
        value = (int(time.time()) // 30) * 30 + 3.0

        def advance(self, seconds):
            self.value += seconds

    now = Now()
    monkeypatch.setattr(time, "time", lambda: now.value)
    return now


def turn_on_two_factor(member):
    """Set-up as the member does it; returns the device and the code the app showed."""
    client = Client()
    client.force_login(member)
    client.post(SETUP, {"current_password": MEMBER_PASSWORD})
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    code = totp_code(device)
    assert "Your backup codes" in client.post(SETUP, {"code": code}).content.decode()
    return TOTPDevice.objects.get(pk=device.pk), code


def test_the_set_up_code_is_refused_at_sign_in_with_a_plain_reason(client, member, frozen_time):
    device, setup_code = turn_on_two_factor(member)
    frozen_time.advance(10)  # same 30-second step: the app still shows the set-up code
    sign_in(client, "alice", MEMBER_PASSWORD)
    page = client.post(CODE_URL, {"code": setup_code}).content.decode()
    assert JUST_USED in page and "not correct" not in page
    assert SESSION_KEY not in client.session
    # Still a failed attempt toward the freeze, as any refused code.
    assert event_kinds(member=member).count(Kind.SECOND_FACTOR_FAILED) == 1

    frozen_time.advance(30)  # the app now shows a new code
    new_code = totp_code(device)
    assert new_code != setup_code
    assert client.post(CODE_URL, {"code": new_code})["Location"] == "/"
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_wrong_code_in_that_window_is_still_not_correct(client, member, frozen_time):
    _, setup_code = turn_on_two_factor(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    wrong = f"{(int(setup_code) + 1) % 1_000_000:06d}"
    page = client.post(CODE_URL, {"code": wrong}).content.decode()
    assert "That code is not correct" in page and JUST_USED not in page


def test_an_old_code_is_not_called_just_used(client, member, frozen_time):
    _, setup_code = turn_on_two_factor(member)
    frozen_time.advance(600)  # long after: the set-up code is simply wrong now
    sign_in(client, "alice", MEMBER_PASSWORD)
    page = client.post(CODE_URL, {"code": setup_code}).content.decode()
    assert "That code is not correct" in page and JUST_USED not in page


def test_turning_it_off_says_the_same_for_the_code_just_used(client, member, frozen_time):
    _, setup_code = turn_on_two_factor(member)
    client.force_login(member)
    page = client.post(REMOVE, {"current_password": MEMBER_PASSWORD, "code": setup_code}).content.decode()
    assert JUST_USED in page
    assert TOTPDevice.objects.filter(user=member, confirmed=True).exists()
