from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind


def signed_in(client, clock):
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    return client


def whole_seconds(clock):
    """Start the clock on a whole second, so that the sums of the stamps below are exact."""
    clock.now = float(int(clock.now))


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
    clock.advance(100)
    # The check that finds the session over ends it, and says why; later checks only that it is over.
    assert client.get("/accounts/session/").json() == {"signed_in": False, "signed_out": "idle"}
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
    whole_seconds(clock)
    signed_in(client, clock)
    for _ in range(settings.PORTAL_SESSION_MAX_SECONDS // 600 - 1):
        clock.advance(600)
        assert client.get("/").status_code == 200
    clock.advance(599.5)
    assert client.get("/").status_code == 200
    clock.advance(0.5)
    response = client.get("/")
    assert response["Location"].endswith("signed_out=max_age")
    assert "reached its 12-hour limit" in client.get(response["Location"]).content.decode()
    assert MemberSession.objects.get().end_reason == "max_age"


def test_it_shows_the_live_idle_minutes(client, member, settings):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 600
    page = client.get("/accounts/login/?signed_out=idle").content.decode()
    assert "signed out after 10 minutes without activity" in page


def test_it_gives_the_page_timer_its_numbers(client, member, clock):
    signed_in(client, clock)
    page = client.get("/").content.decode()
    assert 'data-idle-seconds="900"' in page and 'data-warning-seconds="120"' in page
    assert 'role="alertdialog"' in page and 'aria-live="polite"' in page and 'aria-live="assertive"' not in page
    assert '<script src="/static/security/session-timer.js" defer></script>' in page
    assert "<script>" not in page and "style=" not in page


def test_it_tells_nothing_when_signed_out(client, db):
    assert client.get("/accounts/session/").json() == {"signed_in": False}
    assert client.post("/accounts/session/keep-alive/").status_code == 302


def test_it_ends_an_idle_session_at_the_limit_not_after(client, member, clock, settings):
    whole_seconds(clock)
    signed_in(client, clock)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 0.5)
    assert client.get("/accounts/session/").json()["signed_in"] is True
    clock.advance(0.5)
    assert client.get("/")["Location"] == "/accounts/login/?next=%2F&signed_out=idle"


def test_it_rounds_the_seconds_left_up_so_the_timer_fires_once_the_session_is_over(client, member, clock, settings):
    whole_seconds(clock)
    signed_in(client, clock)
    clock.advance(0.6)  # a page asked for 0.6 s after the last recorded activity: not written again
    assert client.get("/accounts/security/").status_code == 200
    page = client.get("/").content.decode()
    assert f'data-idle-seconds="{settings.PORTAL_IDLE_TIMEOUT_SECONDS}"' in page  # 899.4 s, rounded up
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 1)
    assert client.get("/accounts/session/").json()["seconds_left"] == 1  # 0.4 s, rounded up
    clock.advance(1)  # where the page's timer reaches its deadline: 900 s after the page loaded
    assert client.get("/accounts/session/").json() == {"signed_in": False, "signed_out": "idle"}


TIMER_NAVIGATION = "/accounts/login/?signed_out=idle&next=%2Faccounts%2Fsecurity%2F"


def test_it_signs_out_on_the_timers_navigation_half_a_second_early(client, member, clock, settings):
    whole_seconds(clock)
    settings.PORTAL_ACTIVITY_WRITE_SECONDS = 5  # so that the navigation would count, were it activity
    signed_in(client, clock)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 0.5)
    response = client.get(TIMER_NAVIGATION)
    assert response.status_code == 200  # the sign-in page, not the page the timer came from
    page = response.content.decode()
    assert "You were signed out after 15 minutes without activity" in page
    assert 'name="next" value="/accounts/security/"' in page
    assert client.get("/accounts/session/").json() == {"signed_in": False}
    assert client.get("/accounts/security/").status_code == 302
    event = SecurityEvent.objects.get(kind=Kind.SIGNED_OUT)
    assert (event.member, event.reason) == (member, "by the page's inactivity timer")
    listed = MemberSession.objects.get()
    assert listed.end_reason == "timer" and listed.last_activity_at == listed.created_at


def test_it_expires_the_session_on_the_timers_navigation_half_a_second_late(client, member, clock, settings):
    whole_seconds(clock)
    signed_in(client, clock)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS + 0.5)
    response = client.get(TIMER_NAVIGATION)
    assert response.status_code == 200
    assert "You were signed out after 15 minutes without activity" in response.content.decode()
    assert client.get("/accounts/security/").status_code == 302
    assert event_kinds(member=member) == [Kind.SIGN_IN_SUCCEEDED, Kind.SESSION_EXPIRED_IDLE]
    assert MemberSession.objects.get().end_reason == "idle"


def test_it_still_takes_a_signed_in_member_from_sign_in_to_next_without_the_timers_marker(client, member, clock):
    signed_in(client, clock)
    assert client.get("/accounts/login/?next=%2Faccounts%2Fsecurity%2F")["Location"] == "/accounts/security/"
    assert client.get("/accounts/security/").status_code == 200
