"""The security overview for staff: who is being targeted, from where, and what is frozen."""

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from .lockout import frozen_usernames
from .models import SecurityEvent
from .usernames import usernames_of_accounts

DAYS = 7
# The plot's own units: a day is 24 wide (a bar per hour; a daylight-saving day's 23 or 25 share
# it), the busiest hour is 100 high. The SVG stretches to the box its HTML labels leave it.
DAY_WIDTH, PLOT_HEIGHT = 24, 100


def failures_since(moment: datetime) -> QuerySet[SecurityEvent]:
    """Failed sign-ins from `moment` on, found through the (kind, id) index: id grows with time
    (and is set before an event is sealed), so the first row at or after `moment` bounds the range."""
    first = SecurityEvent.objects.filter(created_at__gte=moment).order_by("created_at").values("id")[:1]
    return SecurityEvent.objects.filter(
        kind__in=SecurityEvent.FAILED_SIGN_IN_KINDS, id__gte=first, created_at__gte=moment
    )


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def day_hours(day: date, zone: tzinfo) -> list[datetime]:
    """The starts of a local day's hours, as instants: 23, 24 or 25 of them."""
    start = local_midnight(day, zone).astimezone(UTC)
    end = local_midnight(day + timedelta(days=1), zone).astimezone(UTC)
    return [start + timedelta(hours=n) for n in range(round((end - start) / timedelta(hours=1)))]


Hours = list[tuple[datetime, int]]


def failures_per_hour(now: datetime | None = None, zone: tzinfo | None = None) -> list[tuple[date, Hours]]:
    """Today and the six days before, in `zone` (the staff member's own), each day hour by hour."""
    now = now or timezone.now()
    zone = zone or timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    days = [(day, day_hours(day, zone)) for day in (today - timedelta(days=n) for n in range(DAYS - 1, -1, -1))]
    starts = [hour for _day, hours in days for hour in hours]
    counts = [0] * len(starts)
    # Hours cut in UTC, so a night's two 1 AMs (daylight saving ends) stay two hours. A zone an odd
    # number of minutes off UTC (+5:30, +5:45) has its times shifted by those minutes first.
    offset = now.astimezone(zone).utcoffset() or timedelta(0)
    odd = timedelta(minutes=int(offset / timedelta(minutes=1)) % 60)
    moment = ExpressionWrapper(F("created_at") + odd, output_field=DateTimeField()) if odd else F("created_at")
    found = (
        failures_since(starts[0])
        .annotate(hour=TruncHour(moment, tzinfo=UTC))
        .values_list("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    for hour, n in found:
        # The local hour it fell in (the one before, should a zone change its odd minutes this week).
        counts[max(bisect_right(starts, hour - odd) - 1, 0)] += n
    series, index = [], 0
    for day, hours in days:
        series.append((day, [(hour, counts[index + n]) for n, hour in enumerate(hours)]))
        index += len(hours)
    return series


def chart(series: Sequence[tuple[date, Sequence[tuple[datetime, int]]]]) -> dict[str, Any]:
    """Bars for an SVG, and the text the template lays out around it in HTML: no script, no style."""
    peak = max((count for _day, hours in series for _hour, count in hours), default=0) or 1
    bars, days = [], []
    for index, (day, hours) in enumerate(series):
        width = DAY_WIDTH / len(hours)
        for n, (hour, count) in enumerate(hours):
            height = round(PLOT_HEIGHT * count / peak, 2)
            bars.append(
                {
                    "x": round(index * DAY_WIDTH + n * width, 3),
                    "y": round(PLOT_HEIGHT - height, 2),
                    "width": round(width * 0.8, 3),
                    "height": height,
                    "label": ngettext("%(time)s: %(count)d failed", "%(time)s: %(count)d failed", count)
                    % {"time": date_format(timezone.localtime(hour), "SHORT_DATETIME_FORMAT"), "count": count},
                }
            )
        days.append(
            {
                "weekday": date_format(day, "D"),
                "date": date_format(day, "MONTH_DAY_FORMAT"),
                "failures": sum(count for _hour, count in hours),
            }
        )
    return {
        "bars": bars,
        "days": days,
        "peak": peak,
        "total": sum(day["failures"] for day in days),
        "first_day": series[0][0] if series else None,
        "zone": timezone.get_current_timezone_name(),
        "width": DAY_WIDTH * len(series),
        "height": PLOT_HEIGHT,
    }


def top(field: str, since: datetime, limit: int = 10) -> list[dict[str, Any]]:
    return list(
        failures_since(since)
        .exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Count("id"))
        .order_by("-failures")[:limit]
    )


def overview() -> dict[str, Any]:
    now = timezone.now()
    since = now - timedelta(days=7)
    frozen = list(frozen_usernames())
    members = usernames_of_accounts(row["username"] for row in frozen)
    return {
        "chart": chart(failures_per_hour(now)),
        "frozen": [{**row, "is_member": row["username"] in members} for row in frozen],
        "targeted_usernames": top("username", since),
        "busiest_addresses": top("ip_address", since),
    }
