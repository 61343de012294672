"""The "Confirm it's you" lock is kept on the session's listing, where no save of the session's data can undo it."""

from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from security import sessions
from security.models import MemberSession, SecurityEvent
from security.session_store import SessionStore
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
NAVIGATE = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
FROM_BOOKMARK = {**NAVIGATE, "sec-fetch-site": "none"}
WITHIN = {**NAVIGATE, "sec-fetch-site": "same-origin"}
CONFIRM = "/accounts/confirm/"
LISTING_TABLE = MemberSession._meta.db_table


def signed_in_client():
    client = Client()
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    return client


def key_of(client):
    return client.cookies["sessionid"].value


def status(client):
    """What the page's timer is told (the status check is no activity)."""
    return client.get("/accounts/session/").json()


def test_a_request_under_way_that_saves_its_session_does_not_unlock_it(member, clock):
    laptop = signed_in_client()
    # Request A (another tab) has loaded the session and is still running.
    request_a = SessionStore(key_of(laptop))
    assert request_a[SESSION_KEY] == str(member.pk)
    # Request B, a bookmark opened meanwhile, locks the session.
    assert laptop.get("/claims/", headers=FROM_BOOKMARK)["Location"] == f"{CONFIRM}?next=%2Fclaims%2F"
    # Request A finishes: it records its activity and saves the session's data it loaded before the lock.
    clock.advance(61)
    request_a[sessions.ACTIVE_KEY] = sessions.now()
    request_a.save()
    # Every tab still gets "Confirm it's you", and nothing of the member's.
    response = laptop.get("/claims/", headers=WITHIN)
    assert response.status_code == 303 and response["Location"] == f"{CONFIRM}?next=%2Fclaims%2F"
    assert status(laptop)["locked"] is True
    assert laptop.post("/profile/email/", {"email": "mallory@example.com"}, headers=WITHIN)["Location"] == CONFIRM
    member.refresh_from_db()
    assert member.pending_email == ""


def test_the_password_unlocks_it_under_the_new_key_and_only_once(member):
    laptop = signed_in_client()
    laptop.get("/claims/", headers=FROM_BOOKMARK)
    old_key = key_of(laptop)
    response = laptop.post(CONFIRM, {"current_password": MEMBER_PASSWORD, "next": "/claims/"})
    assert response["Location"] == "/claims/" and key_of(laptop) != old_key
    listing = MemberSession.objects.get(member=member)
    assert (listing.session_key, listing.locked_at) == (key_of(laptop), None)
    assert laptop.get("/claims/", headers=WITHIN).status_code == 200
    assert event_kinds(member=member).count(Kind.SESSION_CONFIRMED) == 1


def test_the_lock_is_this_sessions_alone(member):
    laptop, phone = signed_in_client(), signed_in_client()
    laptop.get("/claims/", headers=FROM_BOOKMARK)
    assert laptop.get("/claims/", headers=WITHIN).status_code == 303
    assert phone.get("/claims/", headers=WITHIN).status_code == 200
    assert "locked" not in status(phone)


def test_a_session_locked_in_its_data_before_the_deploy_stays_locked(member, clock):
    laptop = signed_in_client()
    data = SessionStore(key_of(laptop))
    data[sessions.LEGACY_LOCKED_KEY] = sessions.now() - 30
    data.save()
    before = event_kinds(member=member)
    response = laptop.get("/claims/", headers=WITHIN)
    assert response.status_code == 303 and response["Location"] == f"{CONFIRM}?next=%2Fclaims%2F"
    # Moved to the listing at first sight, and out of the data; it was audited when it was locked.
    assert MemberSession.objects.get(member=member).locked_at is not None
    assert sessions.LEGACY_LOCKED_KEY not in SessionStore(key_of(laptop)).load()
    assert event_kinds(member=member) == before
    assert laptop.get("/claims/", headers=WITHIN).status_code == 303
    assert laptop.post(CONFIRM, {"current_password": MEMBER_PASSWORD, "next": "/claims/"})["Location"] == "/claims/"
    assert laptop.get("/claims/", headers=WITHIN).status_code == 200


def test_a_session_whose_listing_ended_while_it_was_loaded_is_signed_out(member):
    laptop = signed_in_client()
    # Ended (by "end all sessions", say) after this request read the session's data.
    MemberSession.objects.filter(member=member).update(ended_at=MemberSession.objects.get().created_at)
    response = laptop.get("/claims/", headers=WITHIN)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in laptop.session


def test_a_signed_in_page_reads_the_listing_once(member):
    laptop = signed_in_client()
    laptop.get("/claims/", headers=WITHIN)  # the activity stamp is now fresh: no write for a minute
    with CaptureQueriesContext(connection) as queries:
        assert laptop.get("/accounts/security/", headers=WITHIN).status_code == 200
    on_listing = [q["sql"] for q in queries if LISTING_TABLE in q["sql"]]
    assert len(on_listing) == 1 and on_listing[0].lstrip().upper().startswith("SELECT")
