"""Rows for the pairs screens' tests: a staffed school and form posts as a browser sends them."""

import datetime
import itertools

from django.utils import timezone

from registry.models import Category, Person
from tests.factories import give_consent

# Birth dates of our own: tests.factories.make_person derives them from a session-wide counter,
# and pupils born "in the future" fail validation once a long suite has made ~6,000 rows.
_days = itertools.count()


def person(*, organization, category=Category.TEACHER, full_name=None, teaching_experience=None) -> Person:
    i = next(_days) % 3000
    pupil = category == Category.STUDENT
    born = datetime.date(2011 if pupil else 1975, 1, 1) + datetime.timedelta(days=i)
    if teaching_experience is None and not pupil:
        teaching_experience = 10
    row = Person(
        organization=organization,
        category=category,
        full_name=full_name or f"Участник Пар {i}",
        birth_date=born,
        grade="7А" if pupil else "",
        teaching_experience=teaching_experience,
    )
    give_consent(row)
    row.full_clean()
    row.save()
    return row


def staff(school, prefix="") -> dict:
    """A mentor, three young teachers and two pupils in ``school``."""
    return {
        "mentor": person(organization=school, full_name=f"{prefix}Петрова Анна Сергеевна"),
        "young": [
            person(organization=school, teaching_experience=1, full_name=f"{prefix}Молодой Педагог {i}")
            for i in (1, 2, 3)
        ],
        "pupils": [
            person(organization=school, category=Category.STUDENT, full_name=f"{prefix}Ученик Пётр {i}")
            for i in (1, 2)
        ],
    }


def pair_post(*, form="teacher_teacher", mentor, mentees, start="2024-09-01", **extra) -> dict:
    """The pair form as posted: choices by code and id, dates as the date picker sends them."""
    data = {
        "mentoring_form": form,
        "mentor": str(mentor.pk),
        "mentees": [str(m.pk) for m in mentees],
        "start_date": start,
        "planned_end_date": "",
        "agreement_date": "",
        "mode": "",
        "group_name": "",
        "goal": "",
        "mentee_request": "",
        "status": "draft",
    }
    data.update(extra)
    return data


def edit_post(pair, **changes) -> dict:
    """The edit form of ``pair`` as the browser would post it unchanged, with ``changes``."""
    links = list(pair.links.all())
    data = {
        "mentoring_form": pair.mentoring_form.code,
        "mentor": str(pair.mentor_person_id or pair.mentor_organization_id),
        "mentees": [str(link.mentee_person_id or link.mentee_organization_id) for link in links],
        "start_date": pair.start_date.isoformat(),
        "planned_end_date": pair.planned_end_date.isoformat() if pair.planned_end_date else "",
        "agreement_date": pair.agreement_date.isoformat() if pair.agreement_date else "",
        "mode": pair.mode,
        "group_name": pair.group_name,
        "goal": pair.goal,
        "mentee_request": pair.mentee_request,
        "version": str(pair.version),
    }
    if pair.end_date:
        data["end_date"] = pair.end_date.isoformat()
    if pair.status == "completed":
        data["result"] = pair.result
    if pair.status == "terminated":
        data["termination_reason"] = pair.termination_reason
    data.update(changes)
    return data


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)
