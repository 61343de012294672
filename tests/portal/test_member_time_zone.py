"""Times in the member's own time zone, one date style everywhere, and calendar dates never shifted."""

import io
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from portal.models import Claim
from security import notices
from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

# 03:00 UTC on Dec 1 is still the evening of Nov 30 in Los Angeles.
WHEN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
LOCAL = "Nov 30, 2026, 7:00 PM PST"
Kind = SecurityEvent.Kind


@pytest.fixture
def angeleno(member):
    member.time_zone = "America/Los_Angeles"
    member.save(update_fields=["time_zone"])
    return member


def signed_in_with_event(client, member):
    sign_in(client, "alice", MEMBER_PASSWORD)
    SecurityEvent.objects.filter(member=member, kind=Kind.SIGN_IN_SUCCEEDED).update(created_at=WHEN)
    MemberSession.objects.filter(member=member).update(created_at=WHEN)
    return client


def test_the_activity_and_sessions_pages_show_the_members_own_time(client, angeleno, clock):
    # The session policy's clock a minute after WHEN, so a session that began at WHEN is still live.
    clock.now = WHEN.timestamp() + 60
    signed_in_with_event(client, angeleno)
    MemberSession.objects.filter(member=angeleno).update(last_activity_at=WHEN)
    activity = client.get("/accounts/security/activity/").content.decode()
    assert LOCAL in activity and "When (your time, America/Los_Angeles)" in activity
    sessions = client.get("/accounts/security/sessions/").content.decode()
    assert LOCAL in sessions and "Signed in (your time, America/Los_Angeles)" in sessions


def test_a_member_without_a_zone_sees_utc_and_is_told_so(client, member):
    signed_in_with_event(client, member)
    activity = client.get("/accounts/security/activity/").content.decode()
    assert "Dec 1, 2026, 3:00 AM UTC" in activity and "When (UTC)" in activity


def test_home_shows_the_previous_sign_in_in_the_members_time(client, angeleno):
    client.force_login(angeleno)
    session = client.session
    session["previous_sign_in_at"] = WHEN.isoformat()
    session.save()
    assert LOCAL in client.get("/").content.decode()


def test_claim_dates_are_calendar_dates_never_shifted(client, angeleno, make_enrollment, make_provider):
    enrollment = make_enrollment(angeleno)
    Claim.objects.create(
        enrollment=enrollment,
        claim_number="26000000001001",
        provider=make_provider(),
        service_date=date(2026, 12, 1),
        received_on=date(2026, 12, 1),
        status=Claim.Status.IN_REVIEW,
    )
    client.force_login(angeleno)
    claims = client.get("/claims/").content.decode()
    assert "Dec 1, 2026" in claims and "Nov 30, 2026" not in claims
    home = client.get("/").content.decode()
    assert "Jan 1, 2026" in home  # the plan year's first day


def test_a_notice_email_says_when_in_the_members_zone(angeleno, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(timezone, "now", lambda: WHEN)
    with django_capture_on_commit_callbacks(execute=True):
        notices.password_changed(angeleno)
    assert f"When: {LOCAL}" in mail.outbox[0].body
    assert timezone.get_current_timezone_name() == "UTC"  # the member's zone is not left active


def test_a_notice_email_to_a_member_without_a_zone_is_in_utc(member, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(timezone, "now", lambda: WHEN)
    with django_capture_on_commit_callbacks(execute=True):
        notices.password_changed(member)
    assert "When: Dec 1, 2026, 3:00 AM UTC" in mail.outbox[0].body


def test_the_id_card_pdf_is_printed_in_the_members_time_with_the_one_date_style(
    client, angeleno, make_enrollment, monkeypatch
):
    make_enrollment(angeleno, member_number="MP123456789")
    client.force_login(angeleno)
    monkeypatch.setattr("portal.pdf.timezone.now", lambda: WHEN)
    response = client.get("/id-card/MP123456789-00/pdf/")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert f"Printed {LOCAL}" in text and "Jan 1, 2025" in text


def test_the_profile_page_lists_us_zones_first_and_saves_the_choice(client, member):
    client.force_login(member)
    assert "Not chosen: times are shown in UTC" in client.get("/profile/").content.decode()
    page = client.get("/profile/time-zone/").content.decode()
    assert page.index('<optgroup label="United States">') < page.index('<optgroup label="Other time zones">')
    assert page.index("America/New_York") < page.index("Europe/Berlin")
    response = client.post("/profile/time-zone/", {"time_zone": "America/Chicago"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.time_zone == "America/Chicago"
    assert "America/Chicago" in client.get("/profile/").content.decode()


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "x" * 5000, "america/chicago"])
def test_an_invalid_zone_is_refused_and_nothing_stored(client, angeleno, bad):
    client.force_login(angeleno)
    response = client.post("/profile/time-zone/", {"time_zone": bad})
    assert response.status_code == 400 and "Choose a time zone from the list." in response.content.decode()
    assert client.post("/profile/time-zone/browser/", {"time_zone": bad}).status_code == 400
    angeleno.refresh_from_db()
    assert angeleno.time_zone == "America/Los_Angeles"


def test_the_browser_default_is_stored_once_and_never_overwrites_a_choice(client, member):
    client.force_login(member)
    assert client.post("/profile/time-zone/browser/", {"time_zone": "Asia/Tokyo"}).status_code == 204
    assert client.post("/profile/time-zone/browser/", {"time_zone": "Europe/Paris"}).status_code == 204
    member.refresh_from_db()
    assert member.time_zone == "Asia/Tokyo"
    assert client.post("/profile/time-zone/browser/", {}).status_code == 400
    assert client.get("/profile/time-zone/browser/").status_code == 405


def test_the_home_page_asks_the_browser_only_while_no_zone_is_known(client, member):
    client.force_login(member)
    assert "portal/time-zone" in client.get("/").content.decode()
    member.time_zone = "Asia/Tokyo"
    member.save(update_fields=["time_zone"])
    assert "portal/time-zone" not in client.get("/").content.decode()


def test_the_browser_sending_its_zone_does_not_extend_the_session(client, member, clock, settings):
    # The page's script sends it, not the member: idle time goes on counting.
    clock.now = float(int(clock.now))
    sign_in(client, "alice", MEMBER_PASSWORD)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 100)
    assert client.post("/profile/time-zone/browser/", {"time_zone": "Asia/Tokyo"}).status_code == 204
    assert client.get("/accounts/session/").json()["seconds_left"] == 100
