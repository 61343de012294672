"""The security overview for staff: who is being targeted, from where, and what is frozen."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from .lockout import frozen_usernames
from .models import SecurityEvent
from .usernames import usernames_of_accounts

HOURS = 7 * 24
# Room on the left for the count axis and its title, below for the hour axis and its title.
CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 840, 240, 64, 48


def failures_since(moment: datetime) -> QuerySet[SecurityEvent]:
    """Failed sign-ins from `moment` on, found through the (kind, id) index: id grows with time
    (and is set before an event is sealed), so the first row at or after `moment` bounds the range."""
    first = SecurityEvent.objects.filter(created_at__gte=moment).order_by("created_at").values("id")[:1]
    return SecurityEvent.objects.filter(
        kind__in=SecurityEvent.FAILED_SIGN_IN_KINDS, id__gte=first, created_at__gte=moment
    )


def failures_per_hour(now: datetime | None = None) -> list[tuple[datetime, int]]:
    now = now or timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    counts = dict(
        failures_since(start)
        .annotate(hour=TruncHour("created_at"))
        .values_list("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    return [(start + timedelta(hours=n), counts.get(start + timedelta(hours=n), 0)) for n in range(HOURS)]


def chart(series: Sequence[tuple[datetime, int]]) -> dict[str, Any]:
    """Bars and axis labels for an SVG drawn by the template: coordinates only, no script."""
    peak = max((count for _, count in series), default=0) or 1
    plot_width = CHART_WIDTH - CHART_LEFT
    plot_height = CHART_HEIGHT - CHART_BOTTOM
    bar_width = plot_width / len(series)
    bars = []
    for index, (hour, count) in enumerate(series):
        height = round(plot_height * count / peak, 1)
        bars.append(
            {
                "x": round(CHART_LEFT + index * bar_width, 1),
                "y": round(plot_height - height, 1),
                "width": round(max(bar_width - 1, 1), 1),
                "height": height,
                "label": f"{hour:%a %d %b %H:00}: {count} failed",
            }
        )
    days = [
        {"x": round(CHART_LEFT + index * bar_width, 1), "label": f"{hour:%a %d}"}
        for index, (hour, _) in enumerate(series)
        if hour.hour == 0
    ]
    return {
        "bars": bars,
        "days": days,
        "peak": peak,
        "total": sum(count for _, count in series),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "plot_height": CHART_HEIGHT - CHART_BOTTOM,
        "left": CHART_LEFT,
        "label_y": CHART_HEIGHT - CHART_BOTTOM + 16,
        # Axis titles: hours along the bottom, counts up the left side.
        "x_title": {"x": round(CHART_LEFT + plot_width / 2, 1), "y": CHART_HEIGHT - 6},
        "y_title": {"x": 14, "y": round(plot_height / 2, 1)},
        "tick_x": CHART_LEFT - 6,
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
