import io

import pytest
from django.core.management import CommandError, call_command

from security.lockout import is_frozen
from security.models import SecurityEvent
from security.usernames import pseudonym
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

Kind = SecurityEvent.Kind


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_freezes_an_account_with_a_reason(client, member):
    assert "Froze alice." in run("freeze_account", "alice", "--reason", "reported stolen phone")
    assert is_frozen("alice")
    response = sign_in(client, "alice", MEMBER_PASSWORD)
    assert response.status_code == 403 and "This account is frozen" in response.content.decode()
    event = SecurityEvent.objects.get(kind=Kind.ACCOUNT_FROZEN)
    assert (event.kind, event.member, event.reason) == (Kind.ACCOUNT_FROZEN, member, "reported stolen phone")
    assert event.actor.startswith("operator:")


def test_it_unfreezes_a_frozen_account_so_the_member_can_sign_in(client, member):
    for _ in range(5):
        sign_in(client, "alice", "wrong")
    assert "Unfroze alice." in run("unfreeze_account", "ALICE", "--reason", "caller verified by phone")
    assert not is_frozen("alice")
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    unfreeze = SecurityEvent.objects.get(kind=Kind.ACCOUNT_UNFROZEN)
    assert unfreeze.reason == "caller verified by phone" and unfreeze.member == member


def test_it_gives_the_member_five_fresh_attempts_after_an_unfreeze(client, member):
    run("freeze_account", "alice", "--reason", "test")
    run("unfreeze_account", "alice", "--reason", "test")
    statuses = [sign_in(client, "alice", "wrong").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 403]


def test_it_changes_nothing_when_already_in_that_state(member):
    assert "was not frozen; nothing changed" in run("unfreeze_account", "alice", "--reason", "x")
    run("freeze_account", "alice", "--reason", "x")
    assert "was already frozen; nothing changed" in run("freeze_account", "alice", "--reason", "x")
    assert SecurityEvent.objects.count() == 1


@pytest.mark.parametrize("command", ["freeze_account", "unfreeze_account"])
def test_it_refuses_an_unknown_member_or_a_blank_reason(member, command):
    with pytest.raises(CommandError, match="No member is named 'nobody'"):
        run(command, "nobody", "--reason", "x")
    with pytest.raises(CommandError, match="Give a reason"):
        run(command, "alice", "--reason", "   ")
    assert not SecurityEvent.objects.exists()


def test_it_lists_frozen_members(client, make_member):
    make_member("alice")
    make_member("bob")
    run("freeze_account", "bob", "--reason", "x")
    for _ in range(5):
        sign_in(client, "ghost", "wrong")
    output = run("list_frozen")
    assert "bob\t5 failures" in output and "alice" not in output and "ghost" not in output
    assert output.strip().endswith("1 frozen account(s).")
    everything = run("list_frozen", "--include-unknown")
    # A name that is no account's is kept only as its keyed stand-in (it may have been a password).
    assert f"{pseudonym('ghost')}\t5 failures" in everything and "(no such member)" in everything
    assert "ghost" not in everything
