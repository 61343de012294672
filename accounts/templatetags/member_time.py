"""Which time zone a page's times are in, said where the member reads them."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def times_are_in(context: template.Context) -> str:
    """ "your time, America/Chicago" once the member's zone is known; "UTC" until then."""
    zone = getattr(context.get("user"), "time_zone", "")
    if zone and timezone.get_current_timezone_name() == zone:
        return _("your time, %(zone)s") % {"zone": zone}
    return "UTC"
