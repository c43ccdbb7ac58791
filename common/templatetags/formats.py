from django import template

from common import formats

register = template.Library()


@register.simple_tag
def share(numerator, denominator, digits=1):
    return formats.share(numerator or 0, denominator or 0, digits)


@register.filter
def ru_date(value):
    return formats.ru_date(value)
