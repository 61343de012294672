import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

NEW = "an operator chosen passphrase"


def run(*args, stdin):
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        call_command("set_member_password", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_it_sets_the_password_ends_sessions_and_audits(client, member):
    elsewhere = Client()
    elsewhere.force_login(member)
    assert "Set a new password for alice" in run("alice", "--reason", "demo account", stdin=NEW + "\n")
    assert elsewhere.get("/").status_code == 302
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 200
    assert sign_in(client, "alice", NEW).status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PASSWORD_SET_BY_OPERATOR)
    assert event.reason == "demo account" and event.actor.startswith("operator:") and NEW not in str(event.__dict__)


def test_it_applies_the_rules_and_can_require_a_change(client, member):
    with pytest.raises(CommandError, match="too short"):
        run("alice", "--reason", "x", stdin="short\n")
    run("alice", "--reason", "temporary password read out on a verified call", "--require-change", stdin=NEW + "\n")
    sign_in(client, "alice", NEW)
    assert client.get("/")["Location"] == "/accounts/security/password/"
