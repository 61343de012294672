from django import template

from ..money import usd as format_usd

register = template.Library()


@register.filter
def usd(amount):
    return format_usd(amount)


@register.filter
def usd_whole(amount):
    return format_usd(amount, cents=False)
