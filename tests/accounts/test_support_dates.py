"""The support site shows times in the portal's date style, in the staff member's own zone, named;
the audit CSV keeps ISO 8601 in UTC for programs."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from portal.models import Enrollment
from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD, support_role, totp_code
from tests.helpers import sign_in
from tests.portal.conftest import plan  # noqa: F401 - a fixture

# 03:00 UTC on Dec 1 is still the evening of Nov 30 in Chicago.
WHEN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
CHICAGO_TIME = "Nov 30, 2026, 9:00 PM CST"
Kind = SecurityEvent.Kind


@pytest.fixture
def agent(make_member, enroll_totp):
    """A Security agent in Chicago, signed in past two-factor."""

    def sign_in_as(time_zone="America/Chicago"):
        staff = make_member("sam", is_staff=True, with_questions=False, time_zone=time_zone)
        staff.groups.add(support_role("Security"))
        device = enroll_totp(staff)
        client = Client()
        client.post("/accounts/login/", {"username": "sam", "password": MEMBER_PASSWORD})
        client.post("/accounts/login/code/", {"code": totp_code(device)})
        return client

    return sign_in_as


@pytest.fixture
def alices_evening(member):
    """alice signed in (a session) and failed once, both at WHEN."""
    sign_in(Client(), "alice", MEMBER_PASSWORD)
    sign_in(Client(), "alice", "not it")
    SecurityEvent.objects.filter(member=member).update(created_at=WHEN)
    MemberSession.objects.filter(member=member).update(created_at=WHEN, last_activity_at=WHEN)
    return member


def test_the_member_page_shows_sessions_and_events_in_the_agents_zone(agent, alices_evening, clock):
    clock.now = WHEN.timestamp() + 60  # alice's session, begun at WHEN, is still live
    page = agent().get(f"/admin/accounts/user/{alices_evening.pk}/change/").content.decode()
    facts = page.split('class="member-facts"')[1].split("</section>")[0]
    assert "Signed in (your time, America/Chicago)" in facts and "Last active (your time, America/Chicago)" in facts
    assert "When (your time, America/Chicago)" in facts
    assert facts.count(CHICAGO_TIME) >= 3  # signed in, last active, and the events
    assert "2026-12-01" not in page and "03:00" not in page


def test_an_agent_without_a_zone_sees_utc_named_and_gets_the_browsers(agent, alices_evening):
    page = agent(time_zone="").get("/admin/security/securityevent/").content.decode()
    assert "Dec 1, 2026, 3:00 AM UTC" in page and "Times in UTC (not chosen)" in page
    assert 'src="/static/portal/time-zone.js"' in page and 'data-url="/profile/time-zone/browser/"' in page


def test_an_agent_with_a_zone_sees_it_named_in_the_header_and_no_default_script(agent, alices_evening):
    page = agent().get("/admin/security/securityevent/").content.decode()
    assert CHICAGO_TIME in page and ">Times in America/Chicago</a>" in page
    assert 'href="/profile/time-zone/"' in page and "time-zone.js" not in page


def test_an_events_page_is_named_in_the_date_style_not_iso(agent, alices_evening):
    event = SecurityEvent.objects.get(member=alices_evening, kind=Kind.SIGN_IN_FAILED)
    client = agent()
    page = client.get(f"/admin/security/securityevent/{event.pk}/change/").content.decode()
    name = f"Sign-in failed, {CHICAGO_TIME}, alice"
    assert f"<title>{name} |" in page and f"&rsaquo; {name}\n</div>" in page and f"<h2>{name}</h2>" in page
    assert "2026-12-01 03:00:00" not in page
    history = client.get(f"/admin/security/securityevent/{event.pk}/history/").content.decode()
    assert f"<h1>History: {name}</h1>" in history and "2026-12-01 03:00:00" not in history


def test_coverage_dates_are_calendar_dates_in_the_date_style(agent, member, plan):  # noqa: F811 - the fixture
    Enrollment.objects.create(
        member=member,
        plan=plan,
        member_number="M1234567",
        group_number="G77",
        group_name="Acme Corp",
        coverage_start=date(2026, 1, 1),
        coverage_end=date(2026, 12, 31),
        plan_year_start=date(2026, 1, 1),
    )
    page = agent().get(f"/admin/accounts/user/{member.pk}/change/").content.decode()
    assert "Jan 1, 2026 – Dec 31, 2026" in page and "2026-01-01" not in page


def test_the_csv_keeps_iso_8601_in_utc_whatever_the_agents_zone(agent, alices_evening):
    client = agent()
    page = client.get("/admin/security/securityevent/").content.decode()
    assert "The CSV file's times are ISO 8601 in UTC" in page
    response = client.post(f"/admin/security/securityevent/export/?member__id__exact={alices_evening.pk}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["created_at_utc"] for row in rows} == {"2026-12-01T03:00:00+00:00"}
    assert {row["kind"] for row in rows} == {"sign_in_succeeded", "sign_in_failed"}
