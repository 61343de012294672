"""Changing the email address: only with the current password, only once a link sent to the new
address is opened by the member signed in, audited, and the old address told."""

import re

from axes.models import AccessAttempt
from django.core import mail

from security.models import SecurityEvent, VerificationGate
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds

URL = "/profile/email/"
NEW = "alice.new@example.org"


def change(client, email=NEW, password=MEMBER_PASSWORD):
    return client.post(URL, {"email": email, "current_password": password})


def link_in(message):
    return re.search(r"http://testserver(/profile/email/confirm/[^/\s]+/)", message.body).group(1)


def test_it_changes_the_email_after_the_password_and_tells_the_old_address(
    client, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        assert change(client)["Location"] == "/profile/"
    member.refresh_from_db()
    assert member.email == "alice@example.com" and member.pending_email == NEW
    assert [(m.subject, m.to) for m in mail.outbox] == [("Confirm your new email address", [NEW])]
    link = link_in(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(link)["Location"] == "/profile/"
    member.refresh_from_db()
    assert member.email == NEW and member.pending_email == ""
    assert event_kinds(member=member) == [SecurityEvent.Kind.EMAIL_CHANGE_REQUESTED, SecurityEvent.Kind.EMAIL_CHANGED]
    assert [(m.subject, m.to) for m in mail.outbox[1:]] == [("Your email address was changed", ["alice@example.com"])]
    assert MEMBER_PASSWORD not in mail.outbox[1].body and "1-800-555-0199" in mail.outbox[1].body
    assert "Your email address is now alice.new@example.org." in client.get("/profile/").content.decode()


def test_it_refuses_a_wrong_password_and_counts_it_toward_the_freeze(client, member):
    client.force_login(member)
    response = change(client, password="not my password")
    page = response.content.decode()
    assert "That is not your current password." in page and "not my password" not in page
    assert 'aria-describedby="id_current_password_error"' in page
    member.refresh_from_db()
    assert member.email == "alice@example.com" and mail.outbox == []
    assert event_kinds(member=member) == [SecurityEvent.Kind.SIGN_IN_FAILED]
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 1
    # The password check's reserved slot is given back.
    assert VerificationGate.objects.get(username="alice").in_flight == 0


def test_it_freezes_the_account_after_five_wrong_passwords(client, member):
    client.force_login(member)
    for attempt in range(5):
        change(client, password=f"guess {attempt}")
    assert SecurityEvent.Kind.ACCOUNT_FROZEN in event_kinds(member=member)
    change(client)  # even the right password is refused now
    member.refresh_from_db()
    assert member.email == "alice@example.com"


def test_it_refuses_the_address_it_already_has(client, member):
    client.force_login(member)
    response = change(client, email="Alice@EXAMPLE.com")
    assert "That is already your email address." in response.content.decode()
    assert SecurityEvent.Kind.EMAIL_CHANGED not in event_kinds(member=member)


def test_it_refuses_an_address_that_is_not_one(client, member):
    client.force_login(member)
    assert "Enter a valid email address." in change(client, email="alice at home").content.decode()
    member.refresh_from_db()
    assert member.email == "alice@example.com"
