"""Plain factory functions: real rows in the real database, defaults via setdefault."""

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from registry import meetings, plans, services
from registry.models import (
    CURRENT_CONSENT_TEXT_VERSION,
    Category,
    Headcount,
    MentoringForm,
    MentoringPlan,
    Municipality,
    Organization,
    Person,
    Region,
    UserScope,
)

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def make_region(**kw) -> Region:
    i = n()
    kw.setdefault("code", f"R{i}")
    kw.setdefault("name", f"Тестовая область {i}")
    return Region.objects.create(**kw)


def make_municipality(**kw) -> Municipality:
    i = n()
    if "region" not in kw:
        kw["region"] = make_region()
    kw.setdefault("code", f"M{i}")
    kw.setdefault("name", f"Тестовый район {i}")
    return Municipality.objects.create(**kw)


def make_organization(**kw) -> Organization:
    i = n()
    if "municipality" not in kw:
        kw["municipality"] = make_municipality()
    kw.setdefault("code", f"OO{i:05d}")
    kw.setdefault("full_name", f"МБОУ «СОШ № {i}»")
    kw.setdefault("short_name", f"СОШ № {i}")
    return Organization.objects.create(**kw)


CONSENT_DAY = datetime.date(2024, 9, 1)


def give_consent(person: Person) -> Person:
    """Consent as a curator records it (docs/reliability.md §3.1): dated, versioned, a representative for
    minors."""
    if person.consent_date is None:
        person.consent_date = max(CONSENT_DAY, person.birth_date) if person.birth_date else CONSENT_DAY
    if not person.consent_text_version:
        person.consent_text_version = CURRENT_CONSENT_TEXT_VERSION
    if person.needs_representative and not person.consent_giver:
        person.consent_giver = "Законный Представитель Участника"
    return person


def make_person(**kw) -> Person:
    i = n()
    if "organization" not in kw:
        kw["organization"] = make_organization()
    category = kw.setdefault("category", Category.TEACHER)
    kw.setdefault("full_name", f"Участник Тестовый {i}")
    if category == Category.STUDENT:
        kw.setdefault("birth_date", datetime.date(2010, 1, 1) + datetime.timedelta(days=i % 3000))
        kw.setdefault("grade", "7А")
    else:
        kw.setdefault("birth_date", datetime.date(1980, 1, 1) + datetime.timedelta(days=i % 3000))
        kw.setdefault("teaching_experience", 10)
    person = give_consent(Person(**kw))
    person.full_clean()
    person.save()
    return person


def form(code: str) -> MentoringForm:
    return MentoringForm.objects.get(code=code)


def make_mentorship(*, mentees=None, **kw):
    """A pair; defaults: «учитель – учитель», active from 01.09.2022, one young teacher mentee."""
    kw.setdefault("mentoring_form", form("teacher_teacher"))
    if "organization" not in kw:
        mentor = kw.get("mentor_person")
        kw["organization"] = mentor.organization if mentor else make_organization()
    org = kw["organization"]
    if not kw["mentoring_form"].links_organizations:
        kw.setdefault("mentor_person", make_person(organization=org, category=Category.TEACHER))
    kw.setdefault("status", "active")
    kw.setdefault("start_date", datetime.date(2022, 9, 1))
    if mentees is None:
        mentees = [make_person(organization=org, category=Category.TEACHER, teaching_experience=1)]
    return services.mentorship_create(mentees=mentees, **kw)


def make_plan(mentorship, **kw):
    """The pair's plan (ИПН) through the service; defaults: a deficit and a goal of a young teacher."""
    kw.setdefault("deficits", "Планирование урока, работа с родителями")
    kw.setdefault("goals", "Адаптация молодого специалиста")
    return plans.plan_save(mentorship=mentorship, **kw)


def make_plan_item(mentorship, **kw):
    """A task of the pair's plan (the plan made when missing); default: planned, due 01.10.2022."""
    plan = MentoringPlan.objects.filter(mentorship=mentorship).first() or make_plan(mentorship)
    kw.setdefault("task", "Посетить уроки наставника")
    kw.setdefault("deadline", datetime.date(2022, 10, 1))
    return plans.plan_item_add(plan=plan, **kw)


def make_meeting(mentorship, **kw):
    """A meeting of the pair through the service; defaults: in person, 45 minutes, on its start date."""
    kw.setdefault("date", mentorship.start_date)
    kw.setdefault("duration_minutes", 45)
    kw.setdefault("topic", "Разбор посещённого урока")
    return meetings.meeting_record(mentorship=mentorship, **kw)


def make_headcount(**kw) -> Headcount:
    if "organization" not in kw:
        kw["organization"] = make_organization()
    kw.setdefault("school_year", 2022)
    kw.setdefault("teachers", 40)
    kw.setdefault("young_specialists", 4)
    kw.setdefault("students", 400)
    kw.setdefault("students_10_plus", kw["students"] * 6 // 10)
    return Headcount.objects.create(**kw)


def make_user(username=None, *, role=None, password="pass", **scope):
    User = get_user_model()
    user = User.objects.create_user(username or f"user{n()}", password=password)
    if role:
        # Existing accounts have their e-mail confirmed (the migration does so for real ones).
        scope.setdefault("email_confirmed_at", timezone.now())
        UserScope.objects.create(user=user, role=role, **scope)
    return user
