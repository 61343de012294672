"""sessions.end_all_sessions(): every session of a member ends (the freeze and support call it)."""

import pytest
from django.db import transaction
from django.test import Client

from security import sessions
from security.models import MemberSession, SecurityEvent
from security.session_store import SessionStore
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind


def device(username="alice"):
    client = Client()
    assert sign_in(client, username, MEMBER_PASSWORD).status_code == 302
    return client


def test_it_signs_out_every_device_of_the_member_and_lists_none(member, make_member):
    make_member("bob")
    laptop, phone, bobs = device(), device(), device("bob")
    assert sessions.active_sessions(member).count() == 2
    assert sessions.end_all_sessions(member=member, actor="ops-jo", reason="account frozen") == 2
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert bobs.get("/").status_code == 200
    assert not sessions.active_sessions(member).exists()
    assert set(MemberSession.objects.filter(member=member).values_list("end_reason", flat=True)) == {"ended"}
    event = SecurityEvent.objects.get(kind=Kind.SESSION_ENDED)
    assert (event.member, event.actor, event.reason) == (member, "ops-jo", "account frozen")


def test_it_ends_the_session_of_the_request_it_is_called_from_when_it_is_the_members(member, rf):
    laptop = device()
    request = rf.post("/accounts/security/password/")
    request.user = member
    request.session = SessionStore(laptop.cookies["sessionid"].value)
    sessions.end_all_sessions(member=member, request=request, reason="account frozen")
    request.session["written_by_the_view_afterwards"] = True
    request.session.save()
    assert laptop.get("/").status_code == 302
    assert event_kinds(member=member) == [Kind.SIGN_IN_SUCCEEDED, Kind.SESSION_ENDED]


def test_it_leaves_a_staff_members_own_session_alone(member, staff_client, rf):
    laptop = device()
    request = rf.post("/admin/accounts/user/")
    request.user = staff_client.staff
    request.session = SessionStore(staff_client.cookies["sessionid"].value)
    sessions.end_all_sessions(member=member, request=request, actor="sam", reason="lost phone")
    assert laptop.get("/").status_code == 302
    assert staff_client.get("/admin/").status_code == 200


def test_it_ends_nothing_when_the_callers_transaction_rolls_back(member):
    laptop = device()
    with pytest.raises(RuntimeError), transaction.atomic():
        sessions.end_all_sessions(member=member, reason="account frozen")
        raise RuntimeError("the freeze failed")
    assert laptop.get("/").status_code == 200
    assert Kind.SESSION_ENDED not in event_kinds(member=member)


def test_it_audits_the_count_when_no_reason_is_given_and_nothing_when_no_session_was_live(member):
    device(), device()
    assert sessions.end_all_sessions(member=member) == 2
    assert sessions.end_all_sessions(member=member) == 0
    assert SecurityEvent.objects.get(kind=Kind.SESSION_ENDED).reason == "all sessions (2)"
