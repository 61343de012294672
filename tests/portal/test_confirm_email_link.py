"""The link sent to a new email address: it confirms the change, once, within 24 hours, for the
member signed in; it never signs anyone in, and a used, expired, replaced or tampered link changes nothing."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail, signing
from django.utils import timezone

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds

NEW = "alice.new@example.org"
Kind = SecurityEvent.Kind


def request_change(client, email=NEW, capture=None):
    with capture(execute=True):
        response = client.post("/profile/email/", {"email": email, "current_password": MEMBER_PASSWORD})
    assert response.status_code == 302
    return re.search(r"http://testserver(/profile/email/confirm/[^/\s]+/)", mail.outbox[-1].body).group(1)


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def assert_unchanged(member, pending=NEW):
    member.refresh_from_db()
    assert member.email == "alice@example.com" and member.pending_email == pending
    assert Kind.EMAIL_CHANGED not in event_kinds(member=member)


def test_the_link_goes_to_the_new_address_and_the_profile_shows_it_waiting(
    signed_in, member, django_capture_on_commit_callbacks
):
    link = request_change(signed_in, capture=django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == [NEW] and "does not sign you in" in message.body and "24 hours" in message.body
    page = signed_in.get("/profile/").content.decode()
    assert "waiting for confirmation" in page and NEW in page and "Send the link again" in page
    assert "Confirm new email address" in signed_in.get(link).content.decode()
    assert_unchanged(member)  # opening the page alone changes nothing


def test_a_used_link_is_refused_the_second_time(signed_in, member, django_capture_on_commit_callbacks):
    link = request_change(signed_in, capture=django_capture_on_commit_callbacks)
    signed_in.post(link)
    response = signed_in.post(link)
    assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert event_kinds(member=member).count(Kind.EMAIL_CHANGED) == 1


def test_a_second_request_replaces_the_first(signed_in, member, django_capture_on_commit_callbacks):
    first = request_change(signed_in, capture=django_capture_on_commit_callbacks)
    second = request_change(signed_in, email="alice.other@example.org", capture=django_capture_on_commit_callbacks)
    assert signed_in.post(first).status_code == 400
    assert_unchanged(member, pending="alice.other@example.org")
    assert signed_in.post(second).status_code == 302
    member.refresh_from_db()
    assert member.email == "alice.other@example.org"


def test_a_resent_link_replaces_the_first_and_cancel_ends_both(signed_in, member, django_capture_on_commit_callbacks):
    first = request_change(signed_in, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post("/profile/email/pending/", {"action": "resend"})
    resent = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == [NEW] and resent != first
    assert signed_in.post(first).status_code == 400
    signed_in.post("/profile/email/pending/", {"action": "cancel"})
    assert signed_in.post(resent).status_code == 400
    assert_unchanged(member, pending="")
    assert Kind.EMAIL_CHANGE_CANCELLED in event_kinds(member=member)


def test_an_expired_link_is_refused(signed_in, member, django_capture_on_commit_callbacks, monkeypatch):
    link = request_change(signed_in, capture=django_capture_on_commit_callbacks)
    later = (timezone.now() + timedelta(hours=24, seconds=1)).timestamp()
    # Only the signer's clock moves on: the session's own expiry is not what this tests.
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    response = signed_in.post(link)
    assert response.status_code == 400 and "out of date" in response.content.decode()
    assert_unchanged(member)


@pytest.mark.parametrize("damage", [lambda link: link[:-3] + "xx/", lambda link: "/profile/email/confirm/nonsense/"])
def test_a_tampered_link_is_refused(signed_in, member, django_capture_on_commit_callbacks, damage):
    link = request_change(signed_in, capture=django_capture_on_commit_callbacks)
    assert signed_in.get(damage(link)).status_code == 400
    assert signed_in.post(damage(link)).status_code == 400
    assert_unchanged(member)


def test_the_link_does_not_sign_in_and_is_not_for_another_member(
    client, member, make_member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    link = request_change(client, capture=django_capture_on_commit_callbacks)
    client.logout()
    response = client.post(link)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    client.force_login(make_member("bob"))
    assert client.post(link).status_code == 400
    assert_unchanged(member)


def test_resend_or_cancel_with_nothing_waiting_or_an_unknown_action(
    signed_in, member, django_capture_on_commit_callbacks
):
    assert signed_in.post("/profile/email/pending/", {"action": "resend"}).status_code == 302
    assert mail.outbox == []
    request_change(signed_in, capture=django_capture_on_commit_callbacks)
    assert signed_in.post("/profile/email/pending/", {"action": "explode"}).status_code == 400
    assert_unchanged(member)
