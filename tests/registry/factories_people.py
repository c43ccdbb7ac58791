"""Factories for the bases of mentors and mentees: a person with his base entry.

People are built here rather than with ``tests.factories.make_person``: its birth dates grow
with a counter shared by the whole suite (so that names never collide across tests), and a base test makes
many people.
"""

import datetime
import itertools

from django.utils import timezone

from registry.models import BaseMembership, Category, Person
from tests.factories import give_consent

_seq = itertools.count(1)


def make_base_person(*, organization, **kw) -> Person:
    i = next(_seq)
    category = kw.setdefault("category", Category.TEACHER)
    kw.setdefault("full_name", f"Участник Базы {i}")
    if category == Category.STUDENT:
        kw.setdefault("birth_date", datetime.date(2010, 1, 1) + datetime.timedelta(days=i % 1000))
        kw.setdefault("grade", "7А")
    else:
        kw.setdefault("birth_date", datetime.date(1975, 1, 1) + datetime.timedelta(days=i % 5000))
        kw.setdefault("teaching_experience", 10)
    person = give_consent(Person(organization=organization, **kw))
    person.full_clean()
    person.save()
    return person


def make_member(*, organization, base="mentors", included_on=None, archived_on=None, **kw) -> Person:
    """A person of ``organization`` standing in its base; extra keywords go to the person,
    except the base fields ``trained_as_mentor``, ``competences`` and ``request``."""
    base_fields = {
        name: kw.pop(name) for name in ("trained_as_mentor", "competences", "request") if name in kw
    }
    person = kw.pop("person", None) or make_base_person(organization=organization, **kw)
    membership = BaseMembership(
        organization=organization,
        person=person,
        base=base,
        included_on=included_on or datetime.date(2022, 9, 1),
        archived_on=archived_on,
        **base_fields,
    )
    membership.full_clean()
    membership.save()
    return person


def years_ago(years: int, today: datetime.date | None = None, days: int = 0) -> datetime.date:
    today = today or timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day + datetime.timedelta(days=days)
