"""The member's own time zone: which names are valid, and how the profile offers them."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Most members live in the United States: their zones come first, from east to west.
US_TIME_ZONES = (
    ("America/New_York", _("Eastern")),
    ("America/Chicago", _("Central")),
    ("America/Denver", _("Mountain")),
    ("America/Phoenix", _("Mountain, no daylight saving (Arizona)")),
    ("America/Los_Angeles", _("Pacific")),
    ("America/Anchorage", _("Alaska")),
    ("Pacific/Honolulu", _("Hawaii")),
    ("America/Puerto_Rico", _("Atlantic (Puerto Rico)")),
)


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: object) -> bool:
    return isinstance(name, str) and name in available_time_zones()


def validate_time_zone(name: str) -> None:
    if not is_time_zone(name):
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


def time_zone_choices() -> list[tuple[object, object]]:
    """A blank choice, then the US zones, then every other zone by name."""
    us_names = {name for name, _label in US_TIME_ZONES}
    us = [(name, f"{label} ({name})") for name, label in US_TIME_ZONES]
    others = [(name, name.replace("_", " ")) for name in sorted(available_time_zones() - us_names)]
    return [("", _("Not chosen (times are shown in UTC)")), (_("United States"), us), (_("Other time zones"), others)]
