from django import template

from ..money import usd as format_usd

register = template.Library()


@register.filter
def usd(amount):
    return format_usd(amount)


@register.filter
def usd_whole(amount):
    return format_usd(amount, cents=False)


@register.filter
def percent_of(part, whole):
    """How far `part` is through `whole`, in whole percent from 0 to 100 (for text beside a bar)."""
    if not whole:
        return 0
    return max(0, min(100, int(part * 100 / whole)))
