"""The session store: a sign-in writes its session once, in the sign-in's own transaction."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import CreateError
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from security import audit
from security.models import MemberSession
from security.session_store import SessionStore
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in


def session_writes(queries):
    return [q["sql"].split()[0] for q in queries if '"django_session"' in q["sql"]]


def test_a_sign_in_writes_its_session_once(client, member):
    with CaptureQueriesContext(connection) as queries:
        assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    assert session_writes(queries.captured_queries) == ["INSERT"]
    stored = SessionStore(client.cookies["sessionid"].value).load()
    assert stored[SESSION_KEY] == str(member.pk)


def test_a_second_sign_in_keeps_the_previous_sign_in_time_in_the_new_session(client, member):
    sign_in(client, "alice", MEMBER_PASSWORD)
    client.post("/accounts/logout/")
    member.refresh_from_db()
    first = member.last_login
    sign_in(client, "alice", MEMBER_PASSWORD)
    stored = SessionStore(client.cookies["sessionid"].value).load()
    assert stored["previous_sign_in_at"] == first.isoformat()


def test_a_sign_in_whose_audit_event_fails_leaves_no_session(client, member, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit.chain, "entry_mac", broken)
    client.raise_request_exception = False
    response = sign_in(client, "alice", MEMBER_PASSWORD)
    assert response.status_code == 500
    assert not Session.objects.exists()
    assert not MemberSession.objects.exists()
    assert SESSION_KEY not in client.session


def test_a_new_session_never_overwrites_an_existing_one(db):
    existing = SessionStore()
    existing["owner"] = "someone else"
    existing.save()
    clashing = SessionStore()
    clashing._get_new_session_key = lambda: existing.session_key
    clashing["owner"] = "intruder"
    # In a transaction of its own, as the sign-in's: the failed INSERT takes it down with it.
    with pytest.raises(CreateError), transaction.atomic():
        clashing.save()
    assert SessionStore(existing.session_key).load() == {"owner": "someone else"}


def test_changes_after_a_save_are_written_by_the_next_save(db):
    session = SessionStore()
    session["first"] = 1
    session.save()
    session.save()  # unchanged: nothing to write
    session["second"] = 2
    session.save()
    assert SessionStore(session.session_key).load() == {"first": 1, "second": 2}


def test_a_session_loaded_from_its_key_is_updated_in_place(db):
    session = SessionStore()
    session["step"] = 1
    session.save()
    again = SessionStore(session.session_key)
    again["step"] = 2
    again.save()
    assert again.session_key == session.session_key
    assert SessionStore(session.session_key).load() == {"step": 2}
    assert Session.objects.count() == 1
