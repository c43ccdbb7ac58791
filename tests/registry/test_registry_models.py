"""Rules of people, headcounts, forms of mentoring and scopes: Russian messages and database constraints."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registry.models import Headcount, MentoringForm, Person, UserScope, normalize_form_name
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_duplicate_person_is_refused_in_russian(school):
    f.make_person(
        organization=school, full_name="Иванова Анна Петровна", birth_date=datetime.date(1990, 5, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        f.make_person(
            organization=school, full_name="Иванова Анна Петровна", birth_date=datetime.date(1990, 5, 1)
        )
    assert "Участник с такими ФИО и датой рождения уже есть в этой организации." in str(excinfo.value)
    assert Person.objects.filter(full_name="Иванова Анна Петровна").count() == 1


def test_the_same_person_may_stand_in_two_organizations(school, other_school):
    """Natural key = organization + ФИО + date of birth: never merged across schools (docs/reliability.md
    A10)."""
    for org in (school, other_school):
        f.make_person(
            organization=org, full_name="Иванова Анна Петровна", birth_date=datetime.date(1990, 5, 1)
        )
    assert Person.objects.filter(full_name="Иванова Анна Петровна").count() == 2


def test_a_birth_date_in_the_future_is_refused(school):
    with pytest.raises(ValidationError) as excinfo:
        f.make_person(organization=school, birth_date=datetime.date.today() + datetime.timedelta(days=1))
    assert "Дата рождения не может быть в будущем." in str(excinfo.value)


def test_the_database_refuses_a_duplicate_person(school):
    f.make_person(organization=school, full_name="Петров", birth_date=datetime.date(1990, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            organization=school, full_name="Петров", birth_date=datetime.date(1990, 1, 1), category="teacher"
        )


def test_young_specialists_cannot_outnumber_teachers(school):
    headcount = Headcount(
        organization=school, school_year=2022, teachers=10, young_specialists=11, students=100
    )
    with pytest.raises(ValidationError) as excinfo:
        headcount.full_clean()
    assert "Молодых специалистов не может быть больше, чем педагогов." in str(excinfo.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        headcount.save()


def test_one_headcount_per_school_year(school):
    f.make_headcount(organization=school, school_year=2022)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.make_headcount(organization=school, school_year=2022)


def test_a_curator_scope_needs_an_organization_and_nothing_else(school, municipality):
    user = f.make_user()
    scope = UserScope(user=user, role="curator", municipality=municipality)
    with pytest.raises(ValidationError) as excinfo:
        scope.full_clean()
    assert "Куратору укажите организацию" in str(excinfo.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        scope.save()


@pytest.mark.parametrize(
    "text", ["учитель-учитель", "Учитель – учитель", "учитель —  учитель", " учитель‐учитель "]
)
def test_forms_are_found_whatever_dash_or_spacing(text):
    assert MentoringForm.objects.get(normalized_name=normalize_form_name(text)).code == "teacher_teacher"


def test_the_vocabulary_holds_the_federal_and_regional_forms():
    federal = set(MentoringForm.objects.filter(is_federal=True).values_list("name", flat=True))
    assert federal == {
        "ученик – ученик",
        "учитель – учитель",
        "студент – ученик",
        "работодатель – ученик",
        "работодатель – студент",
    }
    assert MentoringForm.objects.filter(name__in=["учитель – ученик", "ОО – ОО"]).count() == 2
    org_org = MentoringForm.objects.get(code="org_org")
    assert org_org.mentor_categories == org_org.mentee_categories == ["organization"]


def test_a_form_must_name_who_stands_on_each_side():
    form = MentoringForm(
        code="x",
        name="наставник – никто",
        system="students",
        mentor_categories=["teacher"],
        mentee_categories=["alien"],
    )
    with pytest.raises(ValidationError) as excinfo:
        form.full_clean()
    assert "mentee_categories" in excinfo.value.message_dict


def test_person_history_keeps_who_changed_what(school, admin_user):
    person = f.make_person(organization=school, full_name="Сидорова Мария")
    person.phone = "+7 900 000-00-00"
    person._history_user = admin_user
    person.save()
    latest = person.history.first()
    assert latest.history_user == admin_user
    assert latest.phone == "+7 900 000-00-00"
    changed = {c.field for c in latest.diff_against(latest.prev_record).changes}
    assert "phone" in changed and "full_name" not in changed


def test_regional_registries_refuse_an_organization_of_another_region(school, region):
    from registry.models import Contest, ContestEntry, PracticeBankEntry

    stranger = f.make_organization()  # another region
    contest = Contest.objects.create(
        region=region, title="Педагогический дуэт", start_date="2023-04-03", end_date="2023-04-28"
    )
    entry = ContestEntry(contest=contest, organization=stranger, title="Пара")
    with pytest.raises(ValidationError) as excinfo:
        entry.full_clean()
    assert "Организация из другого региона, чем конкурс." in str(excinfo.value)
    ContestEntry(contest=contest, organization=school, title="Пара").full_clean()
    practice = PracticeBankEntry(
        region=region,
        organization=stranger,
        mentoring_form=MentoringForm.objects.first(),
        title="Практика",
        submitted_on="2023-06-01",
    )
    with pytest.raises(ValidationError) as excinfo:
        practice.full_clean()
    assert "Организация из другого региона." in str(excinfo.value)
