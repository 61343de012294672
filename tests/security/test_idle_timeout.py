from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind


def signed_in(client, clock):
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    return client


def test_it_ends_an_idle_session_and_says_why_on_sign_in(client, member, clock, settings):
    signed_in(client, clock)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS + 1)
    response = client.get("/accounts/security/?tab=1")
    assert response["Location"] == "/accounts/login/?next=%2Faccounts%2Fsecurity%2F%3Ftab%3D1&signed_out=idle"
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 15 minutes without activity" in page
    assert 'name="next" value="/accounts/security/?tab=1"' in page
    assert client.get("/").status_code == 302
    assert Kind.SESSION_EXPIRED_IDLE in event_kinds(member=member)
    assert MemberSession.objects.get().end_reason == "idle"


def test_it_keeps_a_session_that_keeps_asking_for_pages(client, member, clock, settings):
    signed_in(client, clock)
    for _ in range(6):
        clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 60)
        assert client.get("/").status_code == 200


def test_it_does_not_count_the_status_check_as_activity(client, member, clock, settings):
    signed_in(client, clock)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 100)
    status = client.get("/accounts/session/").json()
    assert status == {"signed_in": True, "seconds_left": 100, "warning_seconds": 120}
    clock.advance(101)
    assert client.get("/accounts/session/").json() == {"signed_in": False}
    assert client.get("/").status_code == 302


def test_it_extends_the_session_on_stay_signed_in(client, member, clock, settings):
    signed_in(client, clock)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 30)
    response = client.post("/accounts/session/keep-alive/", headers={"accept": "application/json"})
    assert response.json()["seconds_left"] == settings.PORTAL_IDLE_TIMEOUT_SECONDS
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 30)
    assert client.get("/").status_code == 200


def test_it_writes_the_activity_stamp_at_most_once_a_minute(client, member, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signed_in(client, clock)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(10):  # 150 seconds of pages, 15 seconds apart
            clock.advance(15)
            client.get("/accounts/security/")
    writes = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "session" in q["sql"]]
    assert len(writes) == 2 * 2  # at 60 s and 120 s: the session row and the listed session


def test_it_ends_every_session_at_the_absolute_limit(client, member, clock, settings):
    signed_in(client, clock)
    for _ in range(settings.PORTAL_SESSION_MAX_SECONDS // 600):
        clock.advance(600)
        client.get("/")
    clock.advance(601)
    response = client.get("/")
    assert response["Location"].endswith("signed_out=max_age")
    assert "reached its 12-hour limit" in client.get(response["Location"]).content.decode()


def test_it_shows_the_live_idle_minutes(client, member, settings):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 600
    page = client.get("/accounts/login/?signed_out=idle").content.decode()
    assert "signed out after 10 minutes without activity" in page


def test_it_gives_the_page_timer_its_numbers(client, member, clock):
    signed_in(client, clock)
    page = client.get("/").content.decode()
    assert 'data-idle-seconds="900"' in page and 'data-warning-seconds="120"' in page
    assert 'role="alertdialog"' in page and 'aria-live="assertive"' in page
    assert '<script src="/static/security/session-timer.js" defer></script>' in page
    assert "<script>" not in page and "style=" not in page


def test_it_tells_nothing_when_signed_out(client, db):
    assert client.get("/accounts/session/").json() == {"signed_in": False}
    assert client.post("/accounts/session/keep-alive/").status_code == 302
