import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from security.models import SecurityEvent
from tests.helpers import sign_in

PASSWORD = "a long and memorable passphrase"


def create(*args, stdin_text=PASSWORD + "\n"):
    out = io.StringIO()
    stdin = io.StringIO(stdin_text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", stdin)
        call_command("create_member", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_it_creates_a_member_who_can_sign_in(client, db):
    output = create("Bob", "--email", "bob@example.com", "--first-name", "Bob", "--last-name", "Baker")
    assert "Created member bob (bob@example.com)." in output
    member = User.objects.get(username="bob")
    assert (member.first_name, member.last_name, member.password_changed_at is not None) == (
        "Bob",
        "Baker",
        True,
    )
    assert sign_in(client, "bob", PASSWORD).status_code == 302


def test_it_audits_the_creation_with_the_operator(db):
    create("bob", "--email", "bob@example.com")
    event = SecurityEvent.objects.get()
    assert event.kind == SecurityEvent.Kind.MEMBER_CREATED and event.actor.startswith("operator:")
    assert PASSWORD not in str(list(SecurityEvent.objects.values()))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short. It must contain at least 12 characters."),
        ("password12345", "This password is too common."),
        ("123456789012345", "This password is entirely numeric."),
    ],
)
def test_it_applies_the_password_rules(db, password, message):
    with pytest.raises(CommandError, match=message):
        create("bob", "--email", "bob@example.com", stdin_text=password + "\n")
    assert not User.objects.exists() and not SecurityEvent.objects.exists()


def test_it_refuses_a_duplicate_in_any_spelling(member):
    with pytest.raises(CommandError, match="already exists"):
        create("ALICE", "--email", "other@example.com")


def test_it_refuses_a_look_alike_username(db):
    with pytest.raises(CommandError, match="Enter a valid username"):
        create("\u0430lice", "--email", "a@example.com")


def test_it_refuses_a_bad_email(db):
    with pytest.raises(CommandError, match="Enter a valid email address"):
        create("bob", "--email", "not-an-email")


def test_it_will_not_prompt_without_a_terminal(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="use --password-stdin"):
        call_command("create_member", "bob", "--email", "bob@example.com")
