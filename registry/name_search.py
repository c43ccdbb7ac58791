"""Names found folded (docs/domain.md, «Поиск по имени»): the conditions the lists, the pair form's
pickers and the header search (mentoring_portal/search.py) share."""

from django.db.models import Exists, OuterRef, Q

from registry import access
from registry.models import Category, MentorshipLink

NAMED_CATEGORIES = [c for c in Category.values if c not in access.MINOR_CATEGORIES]


def name_q(path: str, folded: str) -> Q:
    """Whose folded name (``search_name`` at ``path``) contains the folded text."""
    return Q(**{f"{path}search_name__contains": folded})


def pairs_q(folded: str, *, minor_names: bool) -> Q:
    """Pairs whose mentor or a mentee (person or organization) has the folded text in its name; a
    pupil is found by name only by those who see pupils' names. The mentorship list's «q» too."""

    def person(path: str) -> Q:
        q = name_q(f"{path}__", folded)
        if not minor_names:
            q &= Q(**{f"{path}__category__in": NAMED_CATEGORIES})
        return q

    mentees = MentorshipLink.objects.filter(mentorship=OuterRef("pk")).filter(
        person("mentee_person") | name_q("mentee_organization__", folded)
    )
    return person("mentor_person") | name_q("mentor_organization__", folded) | Exists(mentees)
