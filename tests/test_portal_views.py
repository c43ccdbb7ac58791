"""Login, dashboard and organization pages, with the three actors of every view."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse

from common.formats import nbsp
from registry.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db

# The dashboard's queries (session, user, scope, then one per figure family: tests/test_dashboards.py).
DASHBOARD_QUERIES = 26


@pytest.fixture
def figures(school, neighbour_school, other_school):
    """Active pairs today in school (2), neighbour_school (1) and other_school (1)."""
    start = datetime.date.today() - datetime.timedelta(days=30)
    f.make_mentorship(organization=school, start_date=start)
    f.make_mentorship(
        organization=school,
        mentoring_form=f.form("student_student"),
        mentor_person=f.make_person(
            organization=school, category=Category.STUDENT, full_name="Ученик-наставник"
        ),
        mentees=[
            f.make_person(organization=school, category=Category.STUDENT, full_name="Ученик-наставляемый")
        ],
        start_date=start,
    )
    f.make_mentorship(organization=neighbour_school, start_date=start)
    f.make_mentorship(organization=other_school, start_date=start)


def test_anonymous_user_is_sent_to_login(client, school):
    for url in [
        reverse("dashboard"),
        reverse("registry:organization-list"),
        reverse("registry:organization-detail", args=[school.code]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_login_with_username_and_password_opens_the_dashboard(client, curator, school):
    client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": "curator1", "password": "pass"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert nbsp(school.full_name) in response.content.decode()


def test_wrong_password_is_refused_in_russian(client, curator):
    response = client.post(reverse("login"), {"username": "curator1", "password": "nope"})
    assert response.status_code == 200
    assert "Неверное имя пользователя или пароль" in response.content.decode()


def test_curator_dashboard_shows_the_school_figures(
    client_for, curator, school, figures, django_assert_max_num_queries
):
    client = client_for(curator)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("dashboard"))
    body = response.content.decode()
    assert nbsp(school.full_name) in body
    assert 'data-figure="mentorships">2<' in body
    assert 'data-figure="mentors">2<' in body
    assert "учитель – учитель" in body and "ученик – ученик" in body


def test_coordinator_dashboard_lists_the_municipality_schools_only(
    client_for, coordinator, school, neighbour_school, other_school, figures, django_assert_max_num_queries
):
    client = client_for(coordinator)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        body = client.get(reverse("dashboard")).content.decode()
    assert nbsp(school.full_name) in body and nbsp(neighbour_school.full_name) in body
    assert other_school.full_name not in body
    assert 'data-figure="mentorships">3<' in body


def test_operator_dashboard_lists_municipalities(
    client_for, operator, municipality, other_municipality, figures
):
    body = client_for(operator).get(reverse("dashboard")).content.decode()
    assert municipality.name in body and other_municipality.name in body
    assert 'data-figure="mentorships">4<' in body


def test_dashboard_query_count_does_not_grow_with_schools(
    client_for, coordinator, municipality, django_assert_max_num_queries
):
    for _ in range(30):
        f.make_mentorship(
            organization=f.make_organization(municipality=municipality), start_date=datetime.date.today()
        )
    client = client_for(coordinator)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 30


def test_user_without_scope_sees_no_figures(client_for, figures):
    user = f.make_user("noscope")
    body = client_for(user).get(reverse("dashboard")).content.decode()
    assert "Роль не назначена" in body
    assert "data-figure" not in body
    assert client_for(user).get(reverse("registry:organization-list")).context["page"].paginator.count == 0


# ---------------------------------------------------------------- organization pages: three actors


def test_curator_opens_own_school_card(client_for, curator, school):
    response = client_for(curator).get(reverse("registry:organization-detail", args=[school.code]))
    assert response.status_code == 200
    assert nbsp(school.full_name) in response.content.decode()


@pytest.mark.parametrize("stranger", ["curator_of_neighbour", "other_curator", "other_coordinator"])
def test_stranger_gets_404_for_a_school_card(request, client_for, school, neighbour_school, stranger):
    if stranger == "curator_of_neighbour":
        user = f.make_user("neighbour", role="curator", organization=neighbour_school)
    else:
        user = request.getfixturevalue(stranger)
    response = client_for(user).get(reverse("registry:organization-detail", args=[school.code]))
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()
    assert school.full_name not in response.content.decode()


@pytest.mark.parametrize("wider", ["coordinator", "operator", "admin_user"])
def test_wider_scope_opens_the_school_card(request, client_for, school, wider):
    user = request.getfixturevalue(wider)
    assert (
        client_for(user).get(reverse("registry:organization-detail", args=[school.code])).status_code == 200
    )


def test_operator_of_another_region_gets_404(client_for, school):
    stranger = f.make_user("op2", role="operator", region=f.make_region())
    assert (
        client_for(stranger).get(reverse("registry:organization-detail", args=[school.code])).status_code
        == 404
    )


def test_organization_list_shows_exactly_the_scope(
    client_for, curator, coordinator, school, neighbour_school, other_school
):
    def listed(user):
        return {o.code for o in client_for(user).get(reverse("registry:organization-list")).context["page"]}

    assert listed(curator) == {school.code}
    assert listed(coordinator) == {school.code, neighbour_school.code}


def test_organization_list_ignores_unknown_filter_parameters(client_for, curator, school, other_school):
    url = (
        reverse("registry:organization-list") + f"?municipality={other_school.municipality_id}&_connector=OR"
    )
    page = client_for(curator).get(url).context["page"]
    assert [o.code for o in page] == [school.code]


def test_organization_search_stays_in_scope(client_for, coordinator, school, other_school):
    url = reverse("registry:organization-list") + f"?q={other_school.code}"
    assert list(client_for(coordinator).get(url).context["page"]) == []


def test_names_are_escaped_on_the_card(client_for, curator, school):
    school.full_name = "<script>alert(1)</script> СОШ"
    school.save()
    body = (
        client_for(curator).get(reverse("registry:organization-detail", args=[school.code])).content.decode()
    )
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; СОШ" in body


def test_curator_dashboard_shows_what_needs_attention_with_links(client_for, curator, school):
    today = datetime.date.today()
    f.make_mentorship(
        organization=school,
        start_date=today - datetime.timedelta(days=100),
        planned_end_date=today + datetime.timedelta(days=10),
    )
    f.make_mentorship(
        organization=school,
        start_date=today - datetime.timedelta(days=100),
        planned_end_date=today - datetime.timedelta(days=1),
        agreement_date=today - datetime.timedelta(days=100),
    )
    response = client_for(curator).get(reverse("dashboard"))
    assert response.context["alerts"] == {
        "ending_soon": 1,
        "overdue": 1,
        "no_agreement": 1,
        "no_result": 0,
        "drafts": 0,
        "silent": 2,  # both started 100 days ago and never met
    }
    body = response.content.decode()
    assert 'href="/pairs/?ending=soon" data-alert="ending_soon">Заканчиваются в ближайшие 30 дней: 1<' in body
    assert 'href="/pairs/?overdue=1" data-alert="overdue">Прошла плановая дата окончания: 1<' in body
    assert 'href="/pairs/?silent=1" data-alert="silent">Без встреч более 4 недель: 2<' in body


def test_coordinator_sees_the_schools_that_lag(client_for, coordinator, school, neighbour_school, figures):
    lagging = f.make_organization(municipality=school.municipality, full_name="МБОУ «ООШ № 7»")
    response = client_for(coordinator).get(reverse("dashboard"))
    assert response.context["figures"]["without_pairs"] == 1
    row = next(r for r in response.context["rows"] if r.obj == lagging)
    assert row.figures["mentorships"] == 0
    assert 'data-figure="lagging">1<' in response.content.decode()


def test_operator_sees_lagging_schools_per_municipality(client_for, operator, municipality, figures):
    f.make_organization(municipality=municipality)  # no pairs
    rows = client_for(operator).get(reverse("dashboard")).context["rows"]
    row = next(r for r in rows if r.obj == municipality)
    figures = row.figures
    assert (figures["organizations"], figures["without_pairs"], figures["mentorships"]) == (3, 1, 3)


def test_curator_dashboard_lists_open_monitoring_campaigns(
    client_for, curator, coordinator, municipality, school
):
    from monitoring import campaigns

    today = datetime.date.today()
    campaign = campaigns.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["R1"],
        title="Мониторинг наставничества, осень",
        goal="Сбор данных",
        period_start=today,
        period_end=today + datetime.timedelta(days=14),
        as_of_date=today,
        deadline=today + datetime.timedelta(days=7),
    )
    body = client_for(curator).get(reverse("dashboard")).content.decode()
    assert "Ответов на мониторинги не ждут" in body  # a draft campaign asks nothing yet
    campaigns.campaign_open(user=coordinator, campaign=campaign)
    body = client_for(curator).get(reverse("dashboard")).content.decode()
    submission = campaign.submissions.get(organization=school)
    assert "Мониторинг наставничества, осень" in body
    assert reverse("monitoring:submission-edit", args=[submission.pk]) in body
    assert (today + datetime.timedelta(days=7)).strftime("%d.%m.%Y") in body


def test_no_template_holds_a_comment_that_django_would_print():
    """``{# … #}`` is a one-line comment: split over lines, Django prints it on the page."""
    root = Path(__file__).resolve().parent.parent / "templates"
    broken = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.count("{#") != line.count("#}")
    ]
    assert broken == []


def test_mentor_menu_and_dashboard_show_only_its_own_pairs(client_for, mentor_account, school):
    own = f.make_mentorship(organization=school, mentor_person=mentor_account.scope.person)
    f.make_mentorship(organization=school)
    response = client_for(mentor_account).get(reverse("dashboard"))
    assert response.status_code == 200
    assert [pair.pk for pair in response.context["my_pairs"]] == [own.pk]
    body = response.content.decode()
    assert "Мои пары" in body and "Наставник Своих Пар" in body
    for hidden in (
        "registry:organization-list",
        "registry:mentor-list",
        "monitoring:campaign-list",
        "reports:list",
    ):
        assert f'href="{reverse(hidden)}"' not in body, hidden
