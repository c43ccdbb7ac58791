from django import template

from common import formats

register = template.Library()


@register.simple_tag
def share(numerator, denominator, digits=1):
    return formats.share(numerator or 0, denominator or 0, digits)


@register.filter
def ru_date(value):
    return formats.ru_date(value)


@register.filter
def nbsp(value):
    """«СОШ № 5» → «СОШ №\u00a05», «12 %» → «12\u00a0%»: names and texts shown from data."""
    return formats.nbsp(value)


@register.filter
def years(value):
    """«стаж {{ person.experience_years|years }}» → «стаж 12 лет»; empty when unknown."""
    if value is None or value == "":
        return ""
    return formats.years(int(value))
