"""«Подбор наставника»: the score of registry/matching.py and the pair form's suggestions."""

import datetime
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from registry import matching
from registry.models import Category, Mentorship, Person
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 3, 3)
LIMIT = 2


def teacher(school, name, **kw) -> Person:
    kw.setdefault("teaching_experience", 12)
    return f.make_person(organization=school, full_name=name, category=Category.TEACHER, **kw)


@pytest.fixture
def world(school, neighbour_school):
    """A young teacher of mathematics and the mentors the curator of ``school`` could offer."""
    mentee = teacher(
        school, "Молодой Учитель", subject="Математика", position="учитель математики", teaching_experience=1
    )
    best = teacher(
        school, "Бестужева Анна", subject="математика ", position="учитель", teaching_experience=15
    )
    history = teacher(school, "Историк Иван", subject="История", teaching_experience=15)
    full = teacher(school, "Занятая Ольга", subject="Математика", teaching_experience=30)
    for _ in range(LIMIT):
        f.make_mentorship(organization=school, mentor_person=full)
    busy = teacher(school, "Нагруженный Пётр", subject="Математика", teaching_experience=15)
    f.make_mentorship(organization=school, mentor_person=busy)
    pupil = f.make_person(organization=school, full_name="Ученица Юлия", category=Category.STUDENT)
    elsewhere = teacher(neighbour_school, "Соседова Нина", subject="Математика", teaching_experience=15)
    return {
        "mentee": mentee,
        "best": best,
        "history": history,
        "full": full,
        "busy": busy,
        "pupil": pupil,
        "elsewhere": elsewhere,
    }


def suggest(world, candidates=None, **kw):
    kw.setdefault("mentoring_form", f.form("teacher_teacher"))
    if candidates is None:
        candidates = Person.objects.filter(pk__in=[p.pk for p in world.values()])
    with override_settings(MENTOR_MENTEE_LIMIT=LIMIT):
        return matching.mentor_suggestions(mentee=world["mentee"], candidates=candidates, **kw)


def by_name(suggestions) -> dict[str, matching.Suggestion]:
    return {s.mentor.full_name: s for s in suggestions}


# ---------------------------------------------------------------- the score


def test_same_subject_school_and_free_load_come_first(world):
    names = [s.mentor.full_name for s in suggest(world)]
    assert names == ["Бестужева Анна", "Нагруженный Пётр", "Соседова Нина", "Историк Иван"]


def test_the_reasons_explain_every_point(world):
    rows = by_name(suggest(world))
    best = rows["Бестужева Анна"]
    assert best.reasons == [
        ("совпадает предмет", 30),
        ("стаж 15\xa0лет", 15),
        ("запрос наставляемого: «математика»", 10),
        ("нагрузка 0 из 2", 15),
        ("та же организация", 15),
    ]
    assert best.score == 85
    assert rows["Нагруженный Пётр"].reasons[3] == ("нагрузка 1 из 2", 8)
    assert ("та же организация", 15) not in rows["Соседова Нина"].reasons
    assert rows["Историк Иван"].reasons == [
        ("стаж 15\xa0лет", 15),
        ("нагрузка 0 из 2", 15),
        ("та же организация", 15),
    ]
    assert all(0 <= s.score <= 100 and s.score == sum(p for _, p in s.reasons) for s in rows.values())


def test_a_mentor_at_the_limit_the_mentee_and_a_category_the_form_refuses_are_left_out(world):
    names = set(by_name(suggest(world)))
    assert "Занятая Ольга" not in names  # 2 mentees of 2
    assert "Ученица Юлия" not in names  # «учитель – учитель» takes no pupil as mentor
    assert "Молодой Учитель" not in names
    with override_settings(MENTOR_MENTEE_LIMIT=LIMIT + 1):
        names = {
            s.mentor.full_name
            for s in matching.mentor_suggestions(
                mentee=world["mentee"],
                mentoring_form=f.form("teacher_teacher"),
                candidates=Person.objects.all(),
            )
        }
    assert "Занятая Ольга" in names


def test_the_typed_request_and_a_near_subject_count(world, school):
    near = teacher(
        school,
        "Близкая Вера",
        subject="Математика и информатика",
        position="руководитель олимпиадного кружка",
    )
    rows = by_name(suggest({**world, "near": near}, mentee_request="Подготовка к олимпиадам по информатике"))
    reasons = dict(rows["Близкая Вера"].reasons)
    assert reasons["близкий предмет"] == 15
    assert reasons["запрос наставляемого: «олимпиадного», «информатика»"] == 20
    assert near.pk == rows["Близкая Вера"].mentor.pk
    assert matching.stems("Ёлки, учителя МАТЕМАТИКИ") == {"елки": "елки", "матем": "математики"}


def test_a_limit_cuts_the_list(world):
    assert len(suggest(world, limit=2)) == 2


@pytest.mark.parametrize("count", [3, 30])
def test_one_query_whatever_the_number_of_candidates(school, count, django_assert_num_queries):
    mentee = teacher(school, "Молодой Учитель", subject="Физика", teaching_experience=1)
    for i in range(count):
        mentor = teacher(school, f"Наставник {i:02d}", subject="Физика" if i % 2 else "Химия")
        if i % 3 == 0:
            f.make_mentorship(organization=school, mentor_person=mentor)
    form = f.form("teacher_teacher")
    with django_assert_num_queries(1):
        rows = matching.mentor_suggestions(
            mentee=mentee,
            mentoring_form=form,
            candidates=Person.objects.filter(full_name__startswith="Наставник"),
        )
    assert len(rows) == count


# ---------------------------------------------------------------- the pair form


def create_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("registry:mentorship-create") + (f"?{query}" if query else "")


def field_block(body: str, name: str) -> str:
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)\n</div>', body, re.S)
    assert match, f"no field {name}"
    return match.group(1)


def test_the_curator_sees_the_ranked_mentors_and_nothing_is_created(client_for, curator, world):
    pairs = Mentorship.objects.count()
    with override_settings(MENTOR_MENTEE_LIMIT=LIMIT):
        response = client_for(curator).get(create_url(form="teacher_teacher", mentee=world["mentee"].pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Рекомендуемые наставники" in body
    names = [s.mentor.full_name for s in response.context["match"].suggestions]
    # The neighbour school's teacher is out of the curator's scope: never suggested.
    assert names[:3] == ["Бестужева Анна", "Нагруженный Пётр", "Историк Иван"]
    assert "Соседова Нина" not in names and "Занятая Ольга" not in names
    assert "85 из 100" in body
    assert "совпадает предмет: +30" in body and "нагрузка 0 из 2: +15" in body
    assert "Соседова Нина" not in body
    # The mentee is ticked in the form below.
    assert re.search(rf'value="{world["mentee"].pk}"[^>]*checked', field_block(body, "mentees"))
    assert Mentorship.objects.count() == pairs


def test_the_button_fills_in_the_mentor(client_for, curator, world):
    best = world["best"]
    response = client_for(curator).get(
        create_url(form="teacher_teacher", mentee=world["mentee"].pk, mentor=best.pk)
    )
    assert response.status_code == 200
    assert re.search(
        rf'<option value="{best.pk}" selected>', field_block(response.content.decode(), "mentor")
    )
    assert f'name="mentor" value="{best.pk}"' in response.content.decode()  # the row's own button


def test_a_curator_of_another_school_gets_404_for_a_mentee_not_theirs(client_for, other_curator, world):
    response = client_for(other_curator).get(create_url(form="teacher_teacher", mentee=world["mentee"].pk))
    assert response.status_code == 404
    assert client_for(other_curator).get(create_url(mentee="not-a-uuid")).status_code == 404


def test_a_mentee_the_form_does_not_admit_gets_a_note(client_for, curator, world):
    response = client_for(curator).get(create_url(form="student_student", mentee=world["mentee"].pk))
    assert response.status_code == 200
    assert response.context["match"].suggestions == []
    assert "не допускает этого участника наставляемым" in response.content.decode()


def test_the_mentor_select_is_narrowed_by_a_typed_name_or_subject(client_for, curator, world):
    client = client_for(curator)
    offered = (
        client.get(create_url(form="teacher_teacher", q="истор")).context["form"].fields["mentor"].queryset
    )
    assert [p.full_name for p in offered] == ["Историк Иван"]
    offered = (
        client.get(create_url(form="teacher_teacher", q="Бестуж", mentor=world["history"].pk))
        .context["form"]
        .fields["mentor"]
        .queryset
    )
    assert {p.full_name for p in offered} == {"Бестужева Анна", "Историк Иван"}  # the chosen one stays
    everyone = client.get(create_url(form="teacher_teacher")).context["form"].fields["mentor"].queryset
    assert {"Историк Иван", "Бестужева Анна", "Занятая Ольга"} <= {p.full_name for p in everyone}


@pytest.mark.parametrize("name", ["q", "mentor", "mentee_request", "organization"])
@pytest.mark.parametrize("value", ["\x00", "я" * 3000, "not-a-uuid", "-1", "12345678901234567890"])
def test_hostile_values_with_a_chosen_mentee_never_break_the_page(client_for, curator, world, name, value):
    params = {"form": "teacher_teacher", "mentee": str(world["mentee"].pk), name: value}
    response = client_for(curator).get(reverse("registry:mentorship-create"), params)
    assert response.status_code == 200


def test_a_mentor_already_paired_with_the_mentee_in_this_form_is_left_out(world, school):
    f.make_mentorship(organization=school, mentor_person=world["history"], mentees=[world["mentee"]])
    names = set(by_name(suggest(world)))
    assert "Историк Иван" not in names and "Бестужева Анна" in names


def test_an_administrator_gets_the_suggestions_of_the_chosen_organization(
    client_for, admin_user, school, world
):
    params = {"organization": school.code, "form": "teacher_teacher", "mentee": str(world["mentee"].pk)}
    response = client_for(admin_user).get(reverse("registry:mentorship-create"), params)
    assert response.status_code == 200
    names = [s.mentor.full_name for s in response.context["match"].suggestions]
    assert names[0] == "Бестужева Анна" and "Соседова Нина" not in names
    assert f'name="organization" value="{school.code}"' in response.content.decode()
