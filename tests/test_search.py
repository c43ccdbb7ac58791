"""Search that finds (docs/architecture.md «Поиск»): names folded (case, «ё» = «е») in a stored column,
the header search in the user's scope, the pair form's searchable participant picker.

Actors (tests/conftest.py): ``curator`` owns ``school``; ``neighbour_school`` is another school of the
same municipality; ``other_school`` is in ``other_municipality``; ``coordinator`` reads ``municipality``.
The same tests run on PostgreSQL with DATABASE_URL set.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from common.text import fold
from mentoring_portal import search
from registry.forms.mentorships import MENTOR_AS_MENTEE
from registry.models import Category, Mentorship, Organization, Person
from registry.workbook.engine import import_workbook
from tests import factories as f
from tests.registry import factories_mentorships as fm
from tests.registry.factories_people import make_member
from tests.registry.test_people_views import edit_post
from tests.registry.workbook_files import MENTORS, ORGANIZATIONS, mentor, write_workbook

pytestmark = pytest.mark.django_db

SEARCH = reverse("search")


def found(client, text: str) -> dict[str, list[str]]:
    """{kind: [texts]} of the header search's results page."""
    response = client.get(SEARCH, {"q": text})
    assert response.status_code == 200
    return {g.kind: [h.text for h in g.hits] for g in response.context["results"].groups}


@pytest.fixture
def semyonov(school):
    return make_member(organization=school, base="mentors", full_name="Семёнов Пётр Ильич")


@pytest.fixture
def upper(school):
    return make_member(organization=school, base="mentees", full_name="СЕМЁНОВ Иван Петрович")


# ---------------------------------------------------------------- the folded column


def test_fold_lowercases_and_reads_yo_as_ye():
    assert fold("  СЕМЁНОВ   Пётр ") == "семенов петр"
    assert fold("Семенов") == fold("семёнов") == fold("СЕМЁНОВ")


def test_save_keeps_the_folded_name_also_with_update_fields(school):
    person = f.make_person(organization=school, full_name="Ёлкин Артём")
    assert Person.objects.get(pk=person.pk).search_name == "елкин артем"
    person.full_name = "Зорин Фёдор"
    person.save(update_fields=["full_name"])
    assert Person.objects.get(pk=person.pk).search_name == "зорин федор"
    school.short_name, school.full_name = "Лицей «Ёлочка»", "МБОУ «ЛИЦЕЙ»"
    school.save(update_fields=["short_name", "full_name"])
    assert Organization.objects.get(pk=school.pk).search_name == "лицей «елочка» мбоу «лицей»"


@pytest.mark.parametrize("typed", ["Семенов", "семенов", "СЕМЕНОВ", "Семёнов"])
def test_semenov_finds_semyonov_and_upper_case_in_the_lists_and_the_header(
    client_for, curator, semyonov, upper, typed
):
    client = client_for(curator)
    assert set(found(client, typed)["people"]) == {"СЕМЁНОВ Иван Петрович", "Семёнов Пётр Ильич"}
    mentors = client.get(reverse("registry:mentor-list"), {"q": typed}).content.decode()
    mentees = client.get(reverse("registry:mentee-list"), {"q": typed}).content.decode()
    assert "Семёнов Пётр Ильич" in mentors and "СЕМЁНОВ Иван Петрович" in mentees


def test_the_pair_list_and_the_organizations_list_fold_too(client_for, curator, school, semyonov):
    f.make_mentorship(organization=school, mentor_person=semyonov)
    school.full_name = "МБОУ «Школа Ёлочка»"
    school.save()
    client = client_for(curator)
    pairs = client.get(reverse("registry:mentorship-list"), {"q": "семенов"}).context["page"]
    assert [p.mentor_person for p in pairs] == [semyonov]
    organizations = client.get(reverse("registry:organization-list"), {"q": "ШКОЛА ЕЛОЧКА"}).context["page"]
    assert [o.pk for o in organizations] == [school.pk]


def test_a_person_renamed_through_the_edit_form_is_found_under_the_new_name(client_for, curator, semyonov):
    client = client_for(curator)
    url = reverse("registry:person-edit", args=[semyonov.pk])
    response = client.post(url, edit_post(semyonov, full_name="Королёва Анна Сергеевна"))
    assert response.status_code == 302
    assert found(client, "королева").get("people") == ["Королёва Анна Сергеевна"]
    assert "people" not in found(client, "семенов")


def test_import_writes_the_folded_names(area_user, tmp_path):
    book = write_workbook(
        tmp_path / "people.xlsx",
        {
            "Организации": [
                ORGANIZATIONS,
                ["D0777", "МБОУ «Школа Ёлкино»", "Школа Ёлкино", "M01", "общеобразовательная", "нет", None],
            ],
            "Наставники": [MENTORS, mentor("D0777", "СЕМЁНОВ Пётр Ильич", datetime.date(1975, 4, 12))],
        },
    )
    report = import_workbook(book, user=area_user)
    assert report.errors == [] and report.committed
    assert Person.objects.get(full_name="СЕМЁНОВ Пётр Ильич").search_name == "семенов петр ильич"
    assert Organization.objects.get(code="D0777").search_name == "школа елкино мбоу «школа елкино»"
    # An organization renamed by a later import is found under its new name.
    renamed = write_workbook(
        tmp_path / "renamed.xlsx",
        {
            "Организации": [
                ORGANIZATIONS,
                ["D0777", "МБОУ «Гимназия Ёлкино»", "Гимназия", "M01", "общеобразовательная", "нет", None],
            ]
        },
    )
    assert import_workbook(renamed, user=area_user).committed
    assert Organization.objects.get(code="D0777").search_name == "гимназия мбоу «гимназия елкино»"


@pytest.fixture
def area_user(region):
    f.make_municipality(region=region, code="M01", name="Октябрьский район")
    return None


# ---------------------------------------------------------------- the header search and its scope


def test_fewer_than_two_characters_are_refused_in_russian(client_for, curator, semyonov):
    response = client_for(curator).get(SEARCH, {"q": " С "})
    assert response.context["results"].groups == []
    assert search.TOO_SHORT in response.content.decode()


def test_a_curator_never_finds_another_schools_people_or_pairs(
    client_for, curator, school, neighbour_school, other_school, semyonov
):
    mine = f.make_mentorship(organization=school, mentor_person=semyonov)
    for stranger_school in (neighbour_school, other_school):
        stranger = f.make_person(organization=stranger_school, full_name="Семенов Чужой Человек")
        f.make_mentorship(organization=stranger_school, mentor_person=stranger)
    results = found(client_for(curator), "семенов")
    assert results["people"] == ["Семёнов Пётр Ильич"]
    assert len(results["pairs"]) == 1 and "Семёнов Пётр Ильич" in results["pairs"][0]
    assert "Чужой" not in str(results)
    assert Mentorship.objects.count() == 3 and mine.pk


def test_a_coordinator_finds_its_municipality_but_no_pupils_by_name(
    client_for, coordinator, school, neighbour_school, other_school, semyonov
):
    f.make_person(organization=neighbour_school, full_name="Семенова Анна Львовна")
    f.make_person(organization=other_school, full_name="Семенов Чужой Человек")
    make_member(organization=school, base="mentees", category=Category.STUDENT, full_name="Семёнов Ученик")
    results = found(client_for(coordinator), "семенов")
    assert set(results["people"]) == {"Семенова Анна Львовна", "Семёнов Пётр Ильич"}


def test_more_than_the_cap_links_to_the_filtered_lists(client_for, curator, school):
    for k in range(search.PER_KIND + 1):
        f.make_person(organization=school, full_name=f"Семёнов Участник {k}")
    response = client_for(curator).get(SEARCH, {"q": "семенов"})
    group = response.context["results"].groups[0]
    assert len(group.hits) == search.PER_KIND
    assert (
        "все наставники",
        reverse("registry:mentor-list") + "?" + urlencode({"q": "семенов"}),
    ) in group.more


def test_organizations_are_found_by_name_or_code(client_for, coordinator, school, other_school):
    client = client_for(coordinator)
    assert found(client, school.code.lower())["organizations"] == [school.full_name]
    assert "organizations" not in found(client, other_school.code)


def test_the_search_page_makes_a_fixed_number_of_queries(
    client_for, curator, school, semyonov, django_assert_max_num_queries
):
    client = client_for(curator)
    client.get(SEARCH, {"q": "семенов"})  # warm the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(SEARCH, {"q": "семенов"})
        return len(captured)

    few = queries()
    for k in range(8):
        person = f.make_person(organization=school, full_name=f"Семенов Наставник {k}")
        f.make_mentorship(organization=school, mentor_person=person)
    # The session and the user's scope, the transaction (a savepoint in the test's; on PostgreSQL
    # also SET LOCAL), one query per kind, the header's unread notices (the bell, docs/architecture.md
    # §14): the same whatever is found.
    with django_assert_max_num_queries(16):
        response = client.get(SEARCH, {"q": "семенов"})
    assert queries() == few
    assert len(response.context["results"].groups[0].hits) == search.PER_KIND


def test_the_header_box_is_there_for_staff_not_for_a_mentor(client_for, curator, mentor_account):
    assert 'id="header-search-q"' in client_for(curator).get(reverse("dashboard")).content.decode()
    client = client_for(mentor_account)
    assert 'id="header-search-q"' not in client.get(reverse("dashboard")).content.decode()
    assert client.get(SEARCH, {"q": "семенов"}).status_code == 403


# ---------------------------------------------------------------- the pair form's picker


def _choices(response, field: str) -> set[str]:
    return {str(value) for value, _ in response.context["form"].fields[field].choices if value != ""}


def test_the_chosen_mentor_is_never_offered_as_a_mentee(client_for, curator, school, semyonov):
    other = f.make_person(organization=school, full_name="Орлова Вера Павловна", teaching_experience=1)
    url = reverse("registry:mentorship-create")
    response = client_for(curator).get(url, {"form": "teacher_teacher", "mentor": semyonov.pk})
    mentees = _choices(response, "mentees")
    assert str(other.pk) in mentees and str(semyonov.pk) not in mentees
    body = response.content.decode()
    block = re.search(r'id="field-mentees">(.*?)\n</div>', body, re.S).group(1)
    assert "Семёнов Пётр Ильич" not in block and "Орлова Вера Павловна" in block


def test_the_same_person_as_mentor_and_mentee_is_refused_naming_the_field(client_for, curator, semyonov):
    data = fm.pair_post(mentor=semyonov, mentees=[semyonov])
    response = client_for(curator).post(reverse("registry:mentorship-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["mentees"] == [MENTOR_AS_MENTEE.format(name=semyonov.full_name)]
    assert MENTOR_AS_MENTEE.startswith("Наставляемый:")
    assert Mentorship.objects.count() == 0


def test_the_mentee_list_is_searchable_folded(client_for, curator, school, semyonov):
    young = f.make_person(organization=school, full_name="Фёдорова Ольга Ивановна", teaching_experience=1)
    other = f.make_person(organization=school, full_name="Орлова Вера Павловна", teaching_experience=1)
    url = reverse("registry:mentorship-create")
    response = client_for(curator).get(url, {"form": "teacher_teacher", "mentee_q": "ФЕДОРОВА"})
    mentees = _choices(response, "mentees")
    assert str(young.pk) in mentees and str(other.pk) not in mentees
    assert "Список «Наставляемый» ниже сужен поиском «ФЕДОРОВА»" in response.content.decode()
