"""The bell in the header: the user's unread notices, one COUNT over a partial index."""

from django import template

from mentoring_portal.notifications import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    return unread_count(user=user) if getattr(user, "is_authenticated", False) else 0
