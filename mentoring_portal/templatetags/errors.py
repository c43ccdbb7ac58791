from django import template

from mentoring_portal.logs import NO_REQUEST, current_request_id

register = template.Library()


@register.simple_tag
def request_id():
    """The current request's id for the error pages: Django renders 500.html without a context."""
    value = current_request_id()
    return "" if value == NO_REQUEST else value
