"""«Наставнические пары»: list, export, form, card and lifecycle, with the three actors of every view."""

import io
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from registry import selectors, services
from registry.models import Category, Mentorship, MentorshipLink
from tests import factories as f
from tests.registry import factories_mentorships as fm

pytestmark = pytest.mark.django_db


INVALID_CHOICE = "Выберите корректный вариант"


@pytest.fixture
def people(school):
    return fm.staff(school)


@pytest.fixture
def pair(school, people):
    """An active «учитель – учитель» pair in ``school``."""
    return f.make_mentorship(
        organization=school, mentor_person=people["mentor"], mentees=[people["young"][0]]
    )


@pytest.fixture
def draft(school, people):
    return f.make_mentorship(
        organization=school, mentor_person=people["mentor"], mentees=[people["young"][1]], status="draft"
    )


def url(name, obj=None):
    return reverse(f"registry:mentorship-{name}", args=[obj.pk] if obj is not None else [])


def field_block(body: str, name: str) -> str:
    """The HTML of one form field with its label, errors and help (see _field.html)."""
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)\n</div>', body, re.S)
    assert match, f"no field {name}"
    return match.group(1)


# ---------------------------------------------------------------- access: the three actors


def test_anonymous_user_is_sent_to_login(client, pair):
    for target in [url("list"), url("create"), url("detail", pair), url("edit", pair), url("complete", pair)]:
        response = client.get(target)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["curator", "coordinator", "operator", "admin_user"])
def test_owner_and_wider_scopes_open_the_card(request, client_for, pair, who):
    response = client_for(request.getfixturevalue(who)).get(url("detail", pair))
    assert response.status_code == 200
    assert "Петрова Анна Сергеевна" in response.content.decode()


@pytest.mark.parametrize("stranger", ["other_curator", "other_coordinator", "curator_of_neighbour"])
@pytest.mark.parametrize("name", ["detail", "edit", "complete", "terminate"])
def test_strangers_get_404_for_every_pair_page(request, client_for, neighbour_school, pair, stranger, name):
    if stranger == "curator_of_neighbour":
        user = f.make_user("neighbour", role="curator", organization=neighbour_school)
    else:
        user = request.getfixturevalue(stranger)
    assert client_for(user).get(url(name, pair)).status_code == 404


@pytest.mark.parametrize("stranger", ["other_curator", "other_coordinator"])
def test_strangers_cannot_act_on_a_pair(request, client_for, pair, draft, stranger):
    client = client_for(request.getfixturevalue(stranger))
    assert client.post(url("activate", draft), {"version": draft.version}).status_code == 404
    data = {"end_date": "2024-12-01", "result": "Чужой результат", "goal_reached": "yes"}
    assert client.post(url("complete", pair), {**data, "version": pair.version}).status_code == 404
    assert client.post(url("edit", pair), fm.edit_post(pair, goal="Чужая цель")).status_code == 404
    draft.refresh_from_db()
    pair.refresh_from_db()
    assert draft.status == "draft" and pair.status == "active" and pair.goal == ""


@pytest.mark.parametrize("reader", ["coordinator", "operator"])
def test_readers_open_the_list_and_card_but_get_403_on_every_write(request, client_for, pair, draft, reader):
    client = client_for(request.getfixturevalue(reader))
    assert client.get(url("list")).status_code == 200
    assert client.get(url("detail", pair)).status_code == 200
    for name in ["edit", "complete", "terminate"]:
        assert client.get(url(name, pair)).status_code == 403
    assert client.get(url("create")).status_code == 403
    assert client.post(url("create"), {"mentoring_form": "teacher_teacher"}).status_code == 403
    assert client.post(url("activate", draft), {"version": draft.version}).status_code == 403
    assert client.post(url("edit", pair), fm.edit_post(pair, goal="Цель координатора")).status_code == 403
    terminate = {"end_date": "2024-12-01", "termination_reason": "Решение ИМК", "version": pair.version}
    assert client.post(url("terminate", pair), terminate).status_code == 403
    pair.refresh_from_db()
    draft.refresh_from_db()
    assert (pair.status, pair.goal, draft.status) == ("active", "", "draft")
    body = client.get(url("detail", pair)).content.decode()
    assert url("edit", pair) not in body and url("complete", pair) not in body


def test_curator_gets_every_page_of_its_pair(client_for, curator, pair, draft):
    client = client_for(curator)
    for target in [url("list"), url("create"), url("detail", pair), url("edit", pair)]:
        assert client.get(target).status_code == 200
    assert client.get(url("complete", pair)).status_code == 200
    assert client.get(url("terminate", pair)).status_code == 200
    assert client.get(url("activate", draft)).status_code == 405  # POST only
    assert client.post(url("activate", draft), {"version": draft.version}).status_code == 302


def test_a_malformed_or_unknown_id_is_404(client_for, curator):
    client = client_for(curator)
    assert client.get("/pairs/not-a-uuid/").status_code == 404
    assert client.get("/pairs/00000000-0000-0000-0000-000000000000/").status_code == 404


# ---------------------------------------------------------------- the form


def test_the_form_has_the_design_labels_and_offers_only_fitting_people(
    client_for, curator, people, other_school
):
    stranger = fm.person(organization=other_school, category=Category.TEACHER, full_name="Чужой Педагог")
    body = client_for(curator).get(url("create") + "?form=teacher_teacher").content.decode()
    for label in ["Форма наставничества", "Наставник", "Наставляемый", "Дата начала", "Сохранить"]:
        assert label in body
    mentor_html, mentees_html = field_block(body, "mentor"), field_block(body, "mentees")
    assert "Петрова Анна Сергеевна" in mentor_html and "Молодой Педагог 1" in mentees_html
    assert "Ученик Пётр" not in mentor_html and "Ученик Пётр" not in mentees_html
    assert stranger.full_name not in body
    assert 'src="/static/js/mentorship_form.js"' in body


def test_a_student_student_form_offers_pupils_only(client_for, curator, people):
    body = client_for(curator).get(url("create") + "?form=student_student").content.decode()
    assert "Ученик Пётр 1" in field_block(body, "mentor")
    assert "Петрова Анна" not in field_block(body, "mentor")
    assert "Молодой Педагог" not in field_block(body, "mentees")


def test_curator_creates_a_pair_in_its_own_school(client_for, curator, school, people):
    data = fm.pair_post(
        mentor=people["mentor"],
        mentees=[people["young"][0]],
        agreement_date="2024-08-30",
        planned_end_date="2025-05-31",
        goal="Адаптация молодого педагога",
        mode="individual",
    )
    response = client_for(curator).post(url("create"), data)
    pair = Mentorship.objects.get()
    assert response.status_code == 302 and response.url == url("detail", pair)
    assert (pair.organization, pair.mentor_person, pair.status) == (school, people["mentor"], "draft")
    assert pair.goal == "Адаптация молодого педагога" and pair.mode == "individual"
    assert str(pair.agreement_date) == "2024-08-30" and str(pair.planned_end_date) == "2025-05-31"
    assert [link.mentee_person for link in pair.links.all()] == [people["young"][0]]
    assert pair.history.first().history_user == curator


def test_dates_typed_the_russian_way_are_accepted(client_for, curator, people):
    data = fm.pair_post(mentor=people["mentor"], mentees=[people["young"][0]], start="01.09.2024")
    assert client_for(curator).post(url("create"), data).status_code == 302
    assert str(Mentorship.objects.get().start_date) == "2024-09-01"


def test_missing_fields_are_shown_in_russian_next_to_them(client_for, curator, people):
    response = client_for(curator).post(
        url("create"), {"mentoring_form": "teacher_teacher", "status": "draft"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    for name in ["mentor", "mentees", "start_date"]:
        assert "Обязательное поле." in field_block(body, name)
    assert Mentorship.objects.count() == 0


def test_a_student_as_mentee_in_teacher_teacher_is_refused(client_for, curator, people):
    data = fm.pair_post(mentor=people["mentor"], mentees=[people["pupils"][0]])
    response = client_for(curator).post(url("create"), data)
    assert response.status_code == 200
    assert INVALID_CHOICE in field_block(response.content.decode(), "mentees")
    assert Mentorship.objects.count() == 0 and MentorshipLink.objects.count() == 0


def test_a_teacher_as_mentor_in_student_student_is_refused(client_for, curator, people):
    data = fm.pair_post(form="student_student", mentor=people["mentor"], mentees=[people["pupils"][0]])
    response = client_for(curator).post(url("create"), data)
    assert response.status_code == 200
    assert INVALID_CHOICE in field_block(response.content.decode(), "mentor")
    assert Mentorship.objects.count() == 0


@pytest.mark.parametrize("where", ["other_school", "neighbour_school"])
def test_an_out_of_scope_mentor_posted_by_hand_is_refused(request, client_for, curator, people, where):
    outsider = fm.person(organization=request.getfixturevalue(where), category=Category.TEACHER)
    response = client_for(curator).post(
        url("create"), fm.pair_post(mentor=outsider, mentees=people["young"][:1])
    )
    assert response.status_code == 200
    assert INVALID_CHOICE in field_block(response.content.decode(), "mentor")
    assert Mentorship.objects.count() == 0


def test_an_out_of_scope_mentee_posted_by_hand_is_refused(client_for, curator, people, other_school):
    outsider = fm.person(organization=other_school, category=Category.TEACHER, teaching_experience=1)
    data = fm.pair_post(mentor=people["mentor"], mentees=[people["young"][0], outsider])
    response = client_for(curator).post(url("create"), data)
    assert INVALID_CHOICE in field_block(response.content.decode(), "mentees")
    assert Mentorship.objects.count() == 0


def test_a_posted_organization_is_ignored(client_for, curator, school, other_school, people):
    data = fm.pair_post(mentor=people["mentor"], mentees=people["young"][:1], organization=other_school.code)
    data["organization_id"] = other_school.pk
    assert client_for(curator).post(url("create"), data).status_code == 302
    assert Mentorship.objects.get().organization == school
    assert MentorshipLink.objects.get().organization == school


def test_a_group_of_three_mentees_creates_three_links(client_for, curator, people):
    data = fm.pair_post(
        mentor=people["mentor"], mentees=people["young"], group_name="Группа молодых", status="active"
    )
    assert client_for(curator).post(url("create"), data).status_code == 302
    group = Mentorship.objects.get()
    assert group.links.count() == 3
    assert set(group.links.values_list("mentee_person", flat=True)) == {p.pk for p in people["young"]}
    assert set(group.links.values_list("status", flat=True)) == {"active"}
    body = client_for(curator).get(url("list")).content.decode()
    assert all(f"Молодой Педагог {i}" in body for i in (1, 2, 3))


def test_org_org_links_the_school_to_organizations_of_its_municipality(
    client_for, curator, school, neighbour_school, other_school
):
    client = client_for(curator)
    body = client.get(url("create") + "?form=org_org").content.decode()
    assert str(school) in field_block(body, "mentor")
    mentees_html = field_block(body, "mentees")
    assert str(neighbour_school) in mentees_html and str(other_school) not in mentees_html
    response = client.post(
        url("create"), fm.pair_post(form="org_org", mentor=school, mentees=[neighbour_school])
    )
    assert response.status_code == 302
    pair = Mentorship.objects.get()
    assert (pair.mentor_organization, pair.mentor_person) == (school, None)
    assert MentorshipLink.objects.get().mentee_organization == neighbour_school


def test_org_org_refuses_another_mentor_organization_or_a_far_mentee(
    client_for, curator, school, neighbour_school, other_school
):
    client = client_for(curator)
    posted = fm.pair_post(form="org_org", mentor=neighbour_school, mentees=[school])
    assert INVALID_CHOICE in field_block(client.post(url("create"), posted).content.decode(), "mentor")
    posted = fm.pair_post(form="org_org", mentor=school, mentees=[other_school])
    assert INVALID_CHOICE in field_block(client.post(url("create"), posted).content.decode(), "mentees")
    assert Mentorship.objects.count() == 0


def test_service_errors_come_back_next_to_their_field(client_for, curator, people):
    data = fm.pair_post(mentor=people["mentor"], mentees=people["young"][:1], planned_end_date="2024-01-01")
    response = client_for(curator).post(url("create"), data)
    assert "Плановая дата окончания не может быть раньше даты начала." in field_block(
        response.content.decode(), "planned_end_date"
    )
    assert Mentorship.objects.count() == 0


def test_a_duplicate_active_pair_is_refused_next_to_the_mentees(client_for, curator, pair, people):
    data = fm.pair_post(mentor=people["mentor"], mentees=[people["young"][0]], status="active")
    response = client_for(curator).post(url("create"), data)
    assert services.DUPLICATE_ACTIVE in field_block(response.content.decode(), "mentees")
    assert Mentorship.objects.count() == 1


def test_changing_the_form_reoffers_participants_and_keeps_entered_values(client_for, curator, people):
    data = fm.pair_post(
        form="student_student", mentor=people["mentor"], mentees=[], goal="Моя цель", _reload="1"
    )
    response = client_for(curator).post(url("create"), data)
    assert response.status_code == 200 and Mentorship.objects.count() == 0
    body = response.content.decode()
    assert "Ученик Пётр 1" in field_block(body, "mentor") and "Петрова Анна" not in field_block(
        body, "mentor"
    )
    assert "Моя цель" in field_block(body, "goal")
    assert "Обязательное поле" not in body  # a reload is not a save: no errors yet


def test_admin_chooses_the_organization(client_for, admin_user, school, people):
    client = client_for(admin_user)
    body = client.get(url("create")).content.decode()
    assert "Сначала выберите организацию." in body
    body = client.get(url("create") + f"?form=teacher_teacher&organization={school.code}").content.decode()
    assert "Петрова Анна" in field_block(body, "mentor")
    data = fm.pair_post(mentor=people["mentor"], mentees=people["young"][:1], organization=school.code)
    assert client.post(url("create"), data).status_code == 302
    assert Mentorship.objects.get().organization == school


# ---------------------------------------------------------------- edit and concurrent saves


def test_curator_edits_a_pair_and_the_history_says_who_and_what(client_for, curator, pair, people):
    client = client_for(curator)
    data = fm.edit_post(
        pair, goal="Новая цель", mentees=[str(people["young"][0].pk), str(people["young"][1].pk)]
    )
    assert client.post(url("edit", pair), data).status_code == 302
    pair.refresh_from_db()
    assert pair.goal == "Новая цель" and pair.version == 2 and pair.links.count() == 2
    body = client.get(url("detail", pair)).content.decode()
    history = body[body.index("История изменений") :]
    assert "curator1" in history and "Цель: — → Новая цель" in history
    assert "Наставляемый: Молодой Педагог 2" in history


def test_an_unchanged_edit_writes_nothing(client_for, curator, pair):
    response = client_for(curator).post(url("edit", pair), fm.edit_post(pair), follow=True)
    assert "Изменений нет." in response.content.decode()
    pair.refresh_from_db()
    assert pair.version == 1 and pair.history.count() == 1


def test_the_second_of_two_curators_is_told_the_pair_changed(client_for, curator, pair):
    seen = fm.edit_post(pair)  # the second curator opened the form
    first = Mentorship.objects.get(pk=pair.pk)
    services.mentorship_update(mentorship=first, expected_version=first.version, goal="Цель первого куратора")
    response = client_for(curator).post(url("edit", pair), {**seen, "goal": "Цель второго куратора"})
    assert response.status_code == 200
    body = response.content.decode()
    assert services.STALE_VERSION in body
    assert "Цель: Цель первого куратора" in body  # what is stored now is shown…
    assert "Цель второго куратора" in field_block(body, "goal")  # …and the user's text is not lost
    pair.refresh_from_db()
    assert pair.goal == "Цель первого куратора" and pair.version == 2


def test_a_stale_completion_changes_nothing(client_for, curator, pair):
    old = pair.version
    first = Mentorship.objects.get(pk=pair.pk)
    services.mentorship_update(mentorship=first, expected_version=old, goal="Изменил коллега")
    data = {"end_date": "2024-12-01", "result": "Итог", "goal_reached": "yes", "version": old}
    response = client_for(curator).post(url("complete", pair), data)
    assert response.status_code == 200 and services.STALE_VERSION in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == "active" and pair.result == ""


def test_editing_a_pair_keeps_an_imported_mentor_from_another_school(
    client_for, curator, school, neighbour_school
):
    outsider = fm.person(
        organization=neighbour_school, category=Category.TEACHER, full_name="Наставник Извне"
    )
    mentee = fm.person(organization=school, category=Category.TEACHER, teaching_experience=1)
    pair = f.make_mentorship(organization=school, mentor_person=outsider, mentees=[mentee])
    client = client_for(curator)
    assert "Наставник Извне" in field_block(client.get(url("edit", pair)).content.decode(), "mentor")
    assert client.post(url("edit", pair), fm.edit_post(pair, goal="Сохраняется")).status_code == 302
    pair.refresh_from_db()
    assert pair.goal == "Сохраняется" and pair.mentor_person == outsider


# ---------------------------------------------------------------- lifecycle


def test_draft_is_activated_then_completed_with_result_and_goal(client_for, curator, draft):
    client = client_for(curator)
    assert "Начать" in client.get(url("detail", draft)).content.decode()
    assert client.post(url("activate", draft), {"version": draft.version}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "active" and set(draft.links.values_list("status", flat=True)) == {"active"}
    body = client.get(url("complete", draft)).content.decode()
    for label in ["Дата окончания", "Результат", "Цель достигнута", "частично", "Самооценка наставляемого"]:
        assert label in body
    data = {"end_date": "2025-05-31", "result": "Аттестован на первую категорию", "goal_reached": "yes"}
    response = client.post(url("complete", draft), {**data, "version": draft.version})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "completed" and str(draft.end_date) == "2025-05-31"
    assert draft.result == "Аттестован на первую категорию" and draft.goal_reached == "yes"
    assert draft.links.get().status == "completed"


def test_completion_without_result_is_refused(client_for, curator, pair):
    data = {"end_date": "2025-05-31", "result": "  ", "goal_reached": "partly", "version": pair.version}
    response = client_for(curator).post(url("complete", pair), data)
    assert response.status_code == 200
    assert "Обязательное поле." in field_block(response.content.decode(), "result")
    pair.refresh_from_db()
    assert pair.status == "active" and pair.end_date is None


def test_completion_before_the_start_is_refused_next_to_the_date(client_for, curator, pair):
    data = {"end_date": "2020-01-01", "result": "Итог", "goal_reached": "no", "version": pair.version}
    response = client_for(curator).post(url("complete", pair), data)
    assert "раньше даты начала" in field_block(response.content.decode(), "end_date")
    pair.refresh_from_db()
    assert pair.status == "active"


def test_termination_requires_a_reason(client_for, curator, pair):
    client = client_for(curator)
    response = client.post(url("terminate", pair), {"end_date": "2024-12-01", "version": pair.version})
    assert "Обязательное поле." in field_block(response.content.decode(), "termination_reason")
    pair.refresh_from_db()
    assert pair.status == "active"
    data = {"end_date": "2024-12-01", "termination_reason": "Переезд наставляемого", "version": pair.version}
    assert client.post(url("terminate", pair), data).status_code == 302
    pair.refresh_from_db()
    assert (pair.status, pair.termination_reason, str(pair.end_date)) == (
        "terminated",
        "Переезд наставляемого",
        "2024-12-01",
    )


def test_a_transition_the_lifecycle_forbids_is_refused(client_for, curator, draft, pair):
    client = client_for(curator)
    data = {"end_date": "2024-12-01", "result": "Итог", "goal_reached": "yes", "version": draft.version}
    response = client.post(url("complete", draft), data, follow=True)
    assert "«черновик» нельзя перевести в статус «завершена»" in response.content.decode()
    assert client.get(url("terminate", draft)).status_code == 302
    response = client.post(url("activate", pair), {"version": pair.version}, follow=True)
    assert "«действует» нельзя перевести в статус «действует»" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.result == "" and draft.end_date is None


def test_activation_refuses_a_duplicate_of_an_active_pair(client_for, curator, school, people, pair):
    twin = f.make_mentorship(
        organization=school, mentor_person=people["mentor"], mentees=[people["young"][0]], status="draft"
    )
    response = client_for(curator).post(url("activate", twin), {"version": twin.version}, follow=True)
    assert services.DUPLICATE_ACTIVE in response.content.decode()
    twin.refresh_from_db()
    assert twin.status == "draft"


def test_buttons_follow_the_allowed_transitions(client_for, curator, admin_user, pair, draft):
    body = client_for(curator).get(url("detail", pair)).content.decode()
    assert (
        url("complete", pair) in body and url("terminate", pair) in body and url("activate", pair) not in body
    )
    body = client_for(admin_user).get(url("detail", draft)).content.decode()
    assert url("activate", draft) in body and url("complete", draft) not in body


# ---------------------------------------------------------------- warnings


def test_warnings_for_load_agreement_and_overdue(client_for, curator, school, people, settings):
    settings.MENTOR_MENTEE_LIMIT = 3
    group = f.make_mentorship(
        organization=school,
        mentor_person=people["mentor"],
        mentees=people["young"],
        start_date=fm.days(-400),
        planned_end_date=fm.days(-1),
    )
    client = client_for(curator)
    body = client.get(url("detail", group)).content.decode()
    assert "У наставника наставляемых в действующих парах: 3 (рекомендуется не более 3)." in body
    assert "Не указана дата соглашения о наставничестве." in body
    assert f"Плановая дата окончания {fm.days(-1):%d.%m.%Y} прошла" in body
    listed = client.get(url("list")).content.decode()
    assert "badge-limit" in listed and "badge-no_agreement" in listed and "badge-overdue" in listed
    # The form tells the curator the mentor's load before choosing.
    form = client.get(url("create") + "?form=teacher_teacher").content.decode()
    assert "наставляемых в действующих парах: 3" in field_block(form, "mentor")


def test_no_warnings_for_a_pair_in_order(client_for, curator, school, people, settings):
    settings.MENTOR_MENTEE_LIMIT = 3
    ok = f.make_mentorship(
        organization=school,
        mentor_person=people["mentor"],
        mentees=people["young"][:2],
        agreement_date=fm.days(-10),
        start_date=fm.days(-10),
        planned_end_date=fm.days(200),
    )
    body = client_for(curator).get(url("detail", ok)).content.decode()
    assert 'class="warnings"' not in body


# ---------------------------------------------------------------- the list: filters, scope, export, queries


@pytest.fixture
def catalogue(school, neighbour_school, other_school, people):
    """Pairs of every kind the filters tell apart (names are the test's handles)."""
    y, p = people["young"], people["pupils"]
    mentor2 = fm.person(organization=school, category=Category.TEACHER, full_name="Сидорова Вера")
    made = {
        "ending": f.make_mentorship(
            organization=school,
            mentor_person=people["mentor"],
            mentees=[y[0]],
            start_date=fm.days(-100),
            planned_end_date=fm.days(10),
            agreement_date=fm.days(-100),
        ),
        "overdue": f.make_mentorship(
            organization=school,
            mentor_person=people["mentor"],
            mentees=[y[1]],
            start_date=fm.days(-300),
            planned_end_date=fm.days(-5),
            agreement_date=fm.days(-300),
        ),
        "no_agreement": f.make_mentorship(
            organization=school, mentor_person=mentor2, mentees=[y[2]], start_date=fm.days(-20)
        ),
        "students": f.make_mentorship(
            organization=school,
            mentoring_form=f.form("student_student"),
            mentor_person=p[0],
            mentees=[p[1]],
            agreement_date=fm.days(-30),
            start_date=fm.days(-30),
            status="draft",
        ),
        "neighbour": f.make_mentorship(
            organization=neighbour_school, agreement_date=fm.days(-30), start_date=fm.days(-30)
        ),
        "far": f.make_mentorship(organization=other_school, start_date=fm.days(-30)),
    }
    done = f.make_mentorship(
        organization=school, mentor_person=mentor2, mentees=[y[0]], start_date=fm.days(-200)
    )
    made["no_result"] = services.mentorship_transition(
        mentorship=done, status="completed", end_date=fm.days(-3)
    )
    with_result = f.make_mentorship(
        organization=school, mentor_person=mentor2, mentees=[y[1]], start_date=fm.days(-200)
    )
    made["with_result"] = services.mentorship_transition(
        mentorship=with_result, status="completed", end_date=fm.days(-3), result="Итог"
    )
    return made


def listed(client, query="") -> set:
    response = client.get(url("list") + quote(query, safe="?=&"))
    assert response.status_code == 200
    return {row.pair.pk for row in response.context["rows"]}


def handles(catalogue, *names) -> set:
    return {catalogue[name].pk for name in names}


def test_each_role_lists_exactly_its_scope(
    client_for, curator, coordinator, operator, other_curator, catalogue
):
    school_pairs = handles(
        catalogue, "ending", "overdue", "no_agreement", "students", "no_result", "with_result"
    )
    assert listed(client_for(curator)) == school_pairs
    assert listed(client_for(coordinator)) == school_pairs | handles(catalogue, "neighbour")
    assert listed(client_for(operator)) == school_pairs | handles(catalogue, "neighbour", "far")
    assert listed(client_for(other_curator)) == handles(catalogue, "far")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?status=draft", {"students"}),
        ("?status=completed", {"no_result", "with_result"}),
        ("?form=student_student", {"students"}),
        ("?ending=soon", {"ending"}),
        ("?overdue=1", {"overdue"}),
        ("?no_agreement=1", {"no_agreement"}),
        ("?no_result=1", {"no_result"}),
        ("?q=Сидорова", {"no_agreement", "no_result", "with_result"}),
        ("?q=Молодой Педагог 2", {"overdue", "with_result"}),
        ("?q=Ученик Пётр 2", {"students"}),
        ("?status=active&q=Петрова", {"ending", "overdue"}),
    ],
)
def test_filters_select_exactly(client_for, curator, catalogue, query, expected):
    assert listed(client_for(curator), query) == handles(catalogue, *expected)


def test_filter_counts_equal_the_dashboard_alerts(client_for, curator, school, catalogue):
    today = fm.days(0)
    alerts = selectors.mentorship_alerts(scope=school, today=today)
    client = client_for(curator)
    for name, query in [
        ("ending_soon", "?ending=soon"),
        ("overdue", "?overdue=1"),
        ("no_agreement", "?no_agreement=1"),
        ("no_result", "?no_result=1"),
    ]:
        assert client.get(url("list") + query).context["page"].paginator.count == alerts[name], name


def test_wider_roles_filter_by_organization_and_municipality(
    client_for, coordinator, operator, neighbour_school, other_school, municipality, catalogue
):
    client = client_for(coordinator)
    assert listed(client, f"?organization={neighbour_school.code}") == handles(catalogue, "neighbour")
    # An organization outside the scope is an error, never a way in.
    response = client.get(url("list") + f"?organization={other_school.code}")
    assert response.context["rows"] == [] and INVALID_CHOICE in response.content.decode()
    operator_client = client_for(operator)
    assert listed(operator_client, f"?municipality={other_school.municipality.code}") == handles(
        catalogue, "far"
    )
    assert "far" not in listed(operator_client, f"?municipality={municipality.code}")


def test_a_curator_cannot_widen_the_list_with_parameters(client_for, curator, other_school, catalogue):
    query = f"?organization={other_school.code}&municipality={other_school.municipality.code}&_connector=OR"
    assert handles(catalogue, "far") & listed(client_for(curator), query) == set()


def test_an_unknown_filter_value_is_an_error_not_everything(client_for, curator, catalogue):
    response = client_for(curator).get(url("list") + "?status=lost")
    assert response.context["rows"] == [] and INVALID_CHOICE in response.content.decode()


def test_pupils_names_stay_at_school(client_for, curator, coordinator, catalogue):
    assert "Ученик Пётр 1" in client_for(curator).get(url("list")).content.decode()
    client = client_for(coordinator)
    body = client.get(url("list")).content.decode()
    assert "Ученик Пётр" not in body and "ФИО обучающихся и студентов видит только куратор их ОО." in body
    assert re.search(r"<td[^>]*>обучающийся</td>", body)
    assert "Ученик Пётр" not in client.get(url("detail", catalogue["students"])).content.decode()
    assert listed(client, "?q=Ученик Пётр") == set()  # nor found by name
    assert listed(client_for(curator), "?q=Ученик Пётр") == handles(catalogue, "students")


def export_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Наставнические пары" and rows[3][0] == "Организация"
    return rows[4:]


def test_export_has_the_rows_of_the_filtered_scoped_list(client_for, coordinator, curator, catalogue, school):
    client = client_for(coordinator)
    for query in ["", "?status=active", "?no_agreement=1", f"?organization={school.code}"]:
        rows = export_rows(client.get(url("list") + query + ("&" if query else "?") + "format=xlsx"))
        on_screen = client.get(url("list") + query).context["rows"]
        assert len(rows) == len(on_screen), query
        assert sorted(r[4] for r in rows) == sorted(r.mentor for r in on_screen), query
    # The page's «Выгрузить в Excel» link carries the filters shown.
    assert (
        "?status=active&amp;format=xlsx" in client.get(url("list") + "?status=active&page=1").content.decode()
    )
    far = catalogue["far"]
    rows = export_rows(client.get(url("list") + "?format=xlsx"))
    assert far.organization.code not in {r[1] for r in rows}
    assert all("Ученик Пётр" not in str(cell) for r in rows for cell in r)


def test_export_joins_a_groups_mentees(client_for, curator, school, people):
    f.make_mentorship(
        organization=school, mentor_person=people["mentor"], mentees=people["young"], group_name="Г-1"
    )
    (row,) = export_rows(client_for(curator).get(url("list") + "?format=xlsx"))
    assert row[3] == "Г-1" and row[4] == "Петрова Анна Сергеевна"
    assert row[5] == "Молодой Педагог 1; Молодой Педагог 2; Молодой Педагог 3"


def _make_pairs(municipality, count):
    for i in range(count):
        org = f.make_organization(municipality=municipality)
        mentees = [fm.person(organization=org, teaching_experience=1)]
        if i % 3 == 0:  # every third one is a group of three
            mentees += [fm.person(organization=org, teaching_experience=0) for _ in (1, 2)]
        f.make_mentorship(
            organization=org,
            mentor_person=fm.person(organization=org),
            mentees=mentees,
            planned_end_date=fm.days(5 - i),
        )


def test_the_list_query_count_does_not_grow_with_the_data(
    client_for, coordinator, municipality, django_assert_max_num_queries
):
    client = client_for(coordinator)
    _make_pairs(municipality, 3)
    with CaptureQueriesContext(connection) as few:
        client.get(url("list") + "?status=active")
    _make_pairs(municipality, 32)
    with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as many:
        response = client.get(url("list") + "?status=active")
    assert len(response.context["rows"]) == 35
    assert sum(len(r.mentees) for r in response.context["rows"]) == 35 + 2 * 12
    assert len(many) == len(few)


def test_the_list_is_paginated_by_50(client_for, curator, school):
    mentor = fm.person(organization=school, category=Category.TEACHER)
    for _ in range(51):
        f.make_mentorship(
            organization=school,
            mentor_person=mentor,
            mentees=[fm.person(organization=school, teaching_experience=1)],
        )
    client = client_for(curator)
    response = client.get(url("list") + "?status=active")
    assert len(response.context["rows"]) == 50
    body = response.content.decode()
    assert "?status=active&amp;page=2" in body
    assert len(client.get(url("list") + "?status=active&page=2").context["rows"]) == 1


def test_the_edit_service_refuses_fields_outside_its_allow_list(pair):
    with pytest.raises(TypeError):
        services.mentorship_update(mentorship=pair, expected_version=pair.version, status="completed")
    with pytest.raises(TypeError):
        services.mentorship_update(
            mentorship=pair, expected_version=pair.version, organization=pair.organization
        )
    pair.refresh_from_db()
    assert pair.status == "active" and pair.version == 1


def test_the_new_pair_form_marks_young_specialists_and_starts_today(client_for, curator, school):
    from django.utils import timezone

    young = f.make_person(
        organization=school,
        category="teacher",
        teaching_experience=1,
        full_name="Юнцова Алла",
        position="учитель",
    )
    response = client_for(curator).get(reverse("registry:mentorship-create") + "?form=teacher_teacher")
    form = response.context["form"]
    assert form.fields["start_date"].initial == timezone.localdate()
    labels = dict(form.fields["mentees"].choices)
    assert any(
        "Юнцова Алла — педагог, учитель, молодой специалист" in str(label) for label in labels.values()
    )
    assert young.is_young_specialist
