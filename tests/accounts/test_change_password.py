from django.core import mail
from django.test import Client

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

URL = "/accounts/security/password/"
NEW = "an entirely new passphrase"


def change(client, current=MEMBER_PASSWORD, new=NEW, again=None):
    return client.post(URL, {"current_password": current, "new_password1": new, "new_password2": again or new})


def test_it_changes_the_password_and_keeps_this_session(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        assert change(client)["Location"] == "/accounts/security/"
    assert client.get("/").status_code == 200
    assert event_kinds(member=member) == [SecurityEvent.Kind.PASSWORD_CHANGED]
    assert [m.subject for m in mail.outbox] == ["Your password was changed"]
    assert NEW not in mail.outbox[0].body
    client.logout()
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 200
    assert sign_in(client, "alice", NEW).status_code == 302


def test_it_ends_the_members_other_sessions(client, member):
    other = Client()
    other.force_login(member)
    client.force_login(member)
    change(client)
    assert other.get("/").status_code == 302


def test_it_requires_the_current_password(client, member):
    client.force_login(member)
    response = change(client, current="not it")
    assert "That is not your current password." in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(MEMBER_PASSWORD)


def test_it_refuses_the_last_five_passwords(client, member):
    client.force_login(member)
    passwords = [f"passphrase number {word}" for word in ("one", "two", "three", "four", "five")]
    current = MEMBER_PASSWORD
    for password in passwords:
        assert change(client, current, password).status_code == 302
        current = password
    refused = change(client, current, passwords[1])
    assert "Choose a password you have not used recently" in refused.content.decode()
    assert change(client, current, MEMBER_PASSWORD).status_code == 302  # six changes ago: allowed again


def test_it_accepts_a_long_passphrase_with_no_composition_rules(client, member):
    client.force_login(member)
    long_phrase = "this is a long lowercase passphrase with no digits at all " * 8
    assert change(client, new=long_phrase).status_code == 302


def test_it_reminds_but_never_forces_a_change_of_an_old_password(client, member, settings):
    from datetime import timedelta

    from django.utils import timezone

    member.password_changed_at = timezone.now() - timedelta(days=settings.PORTAL_PASSWORD_REMINDER_DAYS + 3)
    member.save()
    client.force_login(member)
    home = client.get("/")
    assert home.status_code == 200
    assert (
        "We encourage you to" in home.content.decode()
        and 'href="/accounts/security/password/"' in home.content.decode()
    )
    member.password_changed_at = timezone.now()
    member.save()
    assert "We encourage you to" not in client.get("/").content.decode()
