"""The overview chart: today and the six days before, hour by hour, in the staff member's own zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from security import chain
from security.models import SecurityEvent
from security.overview import chart, failures_per_hour

CHICAGO = ZoneInfo("America/Chicago")
pytestmark = pytest.mark.django_db


def failed_at(*moments):
    """Failed sign-ins written as they were at those moments, oldest first (ids grow with time)."""
    for moment in sorted(moments):
        event = SecurityEvent(kind=SecurityEvent.Kind.SIGN_IN_FAILED, created_at=moment, username="guess")
        event.row_hash = chain.entry_mac(event)
        event.save(force_insert=True)


def test_each_day_is_a_local_day_hour_by_hour():
    now = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # Dec 1, 10:30 PM in Chicago
    # 03:00 UTC on Dec 1 is 9 PM on Nov 30 in Chicago; 05:59 UTC on Nov 24 is still Nov 23 there.
    failed_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC), datetime(2026, 12, 1, 3, 40, tzinfo=UTC))
    failed_at(datetime(2026, 11, 24, 5, 59, tzinfo=UTC), datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    series = failures_per_hour(now, CHICAGO)
    assert [str(day) for day, _hours in series] == [f"2026-11-{n}" for n in range(25, 31)] + ["2026-12-01"]
    by_day = {str(day): [count for _hour, count in hours] for day, hours in series}
    assert by_day["2026-11-30"][21] == 2 and sum(map(sum, by_day.values())) == 2  # Nov 24 00:00 CST is out
    assert all(len(hours) == 24 for _day, hours in series)


def test_a_daylight_saving_day_has_its_25_hours():
    # Chicago falls back on Nov 1, 2026: that day has two 1 AM hours.
    now = datetime(2026, 11, 3, 18, 0, tzinfo=UTC)
    failed_at(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), datetime(2026, 11, 1, 7, 30, tzinfo=UTC))  # 1:30 CDT, 1:30 CST
    series = dict(failures_per_hour(now, CHICAGO))
    nov_1 = [count for _hour, count in series[datetime(2026, 11, 1).date()]]
    assert len(nov_1) == 25 and nov_1[1] == 1 and nov_1[2] == 1
    drawn = chart(list(series.items()))
    assert len(drawn["bars"]) == 6 * 24 + 25 and drawn["total"] == 2 and drawn["peak"] == 1
    # The 25 bars share their day's width: the plot stays seven days wide.
    assert max(bar["x"] + bar["width"] for bar in drawn["bars"]) <= drawn["width"] == 7 * 24


def test_an_odd_offset_still_counts_every_failure():
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+5:45
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    failed_at(datetime(2026, 12, 1, 6, 15, tzinfo=UTC), datetime(2026, 12, 1, 6, 16, tzinfo=UTC))  # 12:00, 12:01
    series = failures_per_hour(now, kathmandu)
    today = [count for _hour, count in series[-1][1]]
    assert today[12] == 2 and sum(today) == 2


def test_the_labels_are_text_for_html_in_the_portals_date_style(settings):
    now = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
    failed_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC), datetime(2026, 12, 1, 3, 5, tzinfo=UTC))
    from django.utils import timezone

    with timezone.override(CHICAGO):
        drawn = chart(failures_per_hour(now))
    assert [(day["weekday"], day["date"]) for day in drawn["days"]][-2:] == [("Mon", "Nov 30"), ("Tue", "Dec 1")]
    assert [day["failures"] for day in drawn["days"]] == [0, 0, 0, 0, 0, 2, 0]
    assert drawn["zone"] == "America/Chicago" and drawn["peak"] == 2
    labelled = [bar["label"] for bar in drawn["bars"] if bar["height"]]
    assert labelled == ["Nov 30, 2026, 9:00 PM CST: 2 failed"]
