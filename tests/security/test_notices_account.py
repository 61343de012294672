"""The notices a member gets for what happens to the account itself: a sign-in from a new browser,
a freeze after five failures and the unfreeze, new backup codes. Each says when, from where, and
what to do; none carries a password, a code or a link that signs in."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from security import lockout
from security.models import MemberSession, SecurityNotice
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_UPDATED = FIREFOX.replace("133.0", "134.0")


def browser(user_agent):
    return Client(headers={"user-agent": user_agent})


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def subjects():
    return [message.subject for message in mail.outbox]


def test_the_first_sign_in_of_an_account_is_nobodys_new_browser(member, capture):
    with capture():
        assert sign_in(browser(FIREFOX), "alice", MEMBER_PASSWORD).status_code == 302
    assert subjects() == []


def test_a_sign_in_from_another_browser_is_told_with_where_and_what_to_do(member, capture):
    sign_in(browser(FIREFOX), "alice", MEMBER_PASSWORD)
    with capture():
        assert sign_in(browser(CHROME), "alice", MEMBER_PASSWORD, next="/").status_code == 302
    (message,) = mail.outbox
    assert message.subject == "New sign-in to your account" and message.to == ["alice@example.com"]
    assert "Browser: Chrome 131 on Windows" in message.body and "Where: Local network (approximate)" in message.body
    assert "http://testserver/accounts/password-reset/" in message.body and "1-800-555-0199" in message.body
    assert MEMBER_PASSWORD not in message.body and "/accounts/login" not in message.body
    assert MemberSession.objects.filter(member=member).count() == 2


def test_the_same_browser_again_or_updated_is_not_new(member, capture):
    sign_in(browser(FIREFOX), "alice", MEMBER_PASSWORD)
    with capture():
        sign_in(browser(FIREFOX), "alice", MEMBER_PASSWORD)
        sign_in(browser(FIREFOX_UPDATED), "alice", MEMBER_PASSWORD)
    assert subjects() == []


def test_a_wrong_password_tells_nothing_and_a_new_browser_is_told_once_per_window(member, capture):
    sign_in(browser(FIREFOX), "alice", MEMBER_PASSWORD)
    with capture():
        sign_in(browser(CHROME), "alice", "not the password")
        sign_in(browser(CHROME), "alice", MEMBER_PASSWORD)
        sign_in(
            browser(CHROME.replace("Windows NT 10.0", "Macintosh; Intel Mac OS X 10_15_7")), "alice", MEMBER_PASSWORD
        )
    assert subjects() == ["New sign-in to your account"]
    assert SecurityNotice.objects.get(kind="new_browser_sign_in").repeats == 1


def test_five_failures_freeze_the_account_and_the_member_is_told_once(member, capture):
    attacker = browser(CHROME)
    with capture():
        for _ in range(8):
            sign_in(attacker, "alice", "a wrong guess")
    assert lockout.is_frozen("alice")
    (message,) = mail.outbox
    assert message.subject == "Your account was frozen after failed sign-ins"
    assert "5 times in a row" in message.body and "Browser: Chrome 131 on Windows" in message.body
    assert "To unfreeze it, choose a new password with the password reset tool:" in message.body
    assert "a wrong guess" not in message.body


def test_support_unfreezing_the_account_tells_the_member_who_did_it(member, capture):
    lockout.freeze_account(member=member, reason="test", actor="sam")
    with capture():
        call_command("unfreeze_account", "alice", "--reason", "called in, verified", stdout=io.StringIO())
    (message,) = mail.outbox
    assert message.subject == "Your account was unfrozen"
    assert "Member Support unfroze it." in message.body and "By: Member Support" in message.body
    assert "verified" not in message.body  # staff's reason stays in the audit log


def test_unfreezing_through_the_reset_tool_says_so(member, capture):
    lockout.freeze_account(member=member, reason="test", actor="sam")
    with capture():
        lockout.unfreeze_account(member=member, reason="password reset with security questions", actor="")
    (message,) = mail.outbox
    assert "unfrozen with the password reset tool" in message.body and "Member Support unfroze" not in message.body


def test_new_backup_codes_are_told_without_the_codes(member, capture, enroll_totp):
    from security import twofactor

    enroll_totp(member)
    with capture():
        codes = twofactor.new_backup_codes(member=member, request=None)
    (message,) = mail.outbox
    assert message.subject == "Your backup codes were replaced"
    assert not any(code in message.body or code.replace("-", "") in message.body for code in codes)
