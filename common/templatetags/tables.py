"""The pager's numbered links, the count «Всего: 1 234» and the card's way back (common/tables.py)."""

from django import template

from common import tables

register = template.Library()

ON_EACH_SIDE, ON_ENDS = 2, 1  # «1 … 4 5 [6] 7 8 … 47»


@register.simple_tag
def pager_items(page):
    """The page numbers around the current one, the first and the last; None stands for «…»."""
    elided = page.paginator.get_elided_page_range(page.number, on_each_side=ON_EACH_SIDE, on_ends=ON_ENDS)
    return [None if n == page.paginator.ELLIPSIS else n for n in elided]


@register.filter
def thousands(number):
    return tables.thousands(number=number or 0)


@register.simple_tag(takes_context=True)
def back_to_list(context, list_name, default=None):
    """The list as the user left it (filters, sort, page): see ``tables.back_url``."""
    return tables.back_url(request=context["request"], list_name=list_name, default=default or list_name)
