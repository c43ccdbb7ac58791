"""«Мониторинг» screens: a whole campaign through the client, who may do
what on every URL, the exports and a fixed number of queries per page.

Actors (tests/conftest.py): ``curator`` of ``school``, ``coordinator`` of its municipality,
``other_curator`` / ``other_coordinator`` of the other municipality, ``operator`` of the region,
``admin_user``; ``curator2`` / ``curator3`` of ``neighbour_school`` / ``third_school`` (below).
The screens pass no ``at=`` to the services: campaigns run around today, and the late school is
made by moving the deadline into the past through the edit form.
"""

import datetime
import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from monitoring import campaigns as svc
from monitoring.models import Campaign, Indicator, Submission, SubmissionEvent, SubmissionValue
from monitoring.selectors import open_tasks_for
from registry.models import school_year_of
from registry.permissions import PAGES
from tests import factories as f

pytestmark = pytest.mark.django_db


D = datetime.date
S = Submission.Status
NBSP = "\xa0"
CODES = ["R1", "R2", "R6", "R7"]


@pytest.fixture(autouse=True)
def mail_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def today() -> D:
    return timezone.localdate()


def ru(day: D) -> str:
    return day.strftime("%d.%m.%Y")


@pytest.fixture
def third_school(municipality):
    return f.make_organization(municipality=municipality, short_name="СОШ № 3")


@pytest.fixture
def curators(curator, neighbour_school, third_school):
    curator.email, curator.last_name, curator.first_name = "soh1@example.ru", "Иванова", "Мария"
    curator.save()
    second = f.make_user("curator2", role="curator", organization=neighbour_school)
    second.email, second.last_name, second.first_name = "soh2@example.ru", "Петрова", "Анна"
    second.save()
    third = f.make_user("curator3", role="curator", organization=third_school)
    third.email = "soh3@example.ru"
    third.save()
    return {"school": curator, "neighbour": second, "third": third}


def registry_for(*schools, as_of: D):
    """Headcount of the as-of date's school year and one «учитель – учитель» pair in each school."""
    for number, school in enumerate(schools):
        f.make_headcount(
            organization=school,
            school_year=school_year_of(as_of),
            teachers=40 - 10 * (number % 3),
            young_specialists=4,
            students=400,
        )
        f.make_mentorship(organization=school, start_date=as_of - datetime.timedelta(days=60))


@pytest.fixture
def registry_data(school, neighbour_school, third_school, other_school):
    registry_for(school, neighbour_school, third_school, other_school, as_of=week_ago())


def week_ago() -> D:
    return today() - datetime.timedelta(days=7)


def form_data(**overrides) -> dict:
    data = {
        "title": "Мониторинг реализации «дорожной карты» работы педагогов-наставников",
        "organizer": "МАУ «ИМК» Октябрьского района",
        "basis_number": "16",
        "basis_date": ru(week_ago()),
        "basis_title": "О проведении мониторинга реализации «дорожной карты» работы педагогов-наставников",
        "basis_text": "1. Провести данный мониторинг.\n2. Руководителям ОО представить отчёты.",
        "goal": "Выявление количества участников, вовлечённых в наставничество.",
        "method": "spreadsheets",
        "method_text": "Формализованный сбор статистических данных с применением электронных таблиц.",
        "period_start": ru(week_ago()),
        "period_end": ru(today() + datetime.timedelta(days=14)),
        "as_of_date": ru(week_ago()),
        "deadline": ru(today() + datetime.timedelta(days=7)),
        "target_org_types": ["school"],
        "indicators": [
            str(pk) for pk in Indicator.objects.filter(code__in=CODES).values_list("pk", flat=True)
        ],
    }
    data.update(overrides)
    return data


def make_campaign(user, municipality=None, codes=CODES, **kw):
    fields = {
        "title": "Мониторинг района",
        "period_start": week_ago(),
        "period_end": today() + datetime.timedelta(days=14),
        "as_of_date": week_ago(),
        "deadline": today() + datetime.timedelta(days=7),
        **kw,
    }
    if municipality is not None:
        return svc.campaign_create(user=user, municipality=municipality, indicators=codes, **fields)
    return svc.campaign_create(user=user, indicators=codes, **fields)


def submission_of(campaign, org) -> Submission:
    return Submission.objects.get(campaign=campaign, organization=org)


def body(response) -> str:
    return response.content.decode()


def squash(html: str) -> str:
    """Tags dropped, spaces collapsed (no-break spaces kept: «67\xa0%»)."""
    spaced = re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    return re.sub(r" ([;,.:])", r"\1", spaced)


def text(response) -> str:
    """The page's visible text."""
    return squash(body(response))


def figure_row(response, code: str) -> str:
    match = re.search(rf'<tr data-figure="{re.escape(code)}"[^>]*>(.*?)</tr>', body(response), re.S)
    assert match, f"no row for {code}"
    return squash(match.group(1))


def row_of(response, table: str, attr: str, value) -> str:
    table_html = re.search(rf'data-table="{table}">(.*?)</table>', body(response), re.S).group(1)
    match = re.search(rf'<tr {attr}="{value}"[^>]*>(.*?)</tr>', table_html, re.S)
    assert match, f"no row {attr}={value} in {table}"
    return squash(match.group(1))


def entries_post(submission, **changes) -> dict:
    """The submission form as the browser posts it: every figure as shown, then ``changes``."""
    data = {}
    for value in SubmissionValue.objects.filter(submission=submission):
        name = value.figure.replace(":", "-")
        if value.figure == "regulation_on_site":
            data[f"value-{name}"] = "" if value.value is None else "да" if value.value else "нет"
            data[f"url-{name}"] = value.url
        else:
            data[f"value-{name}"] = "" if value.value is None else str(value.value)
        data[f"comment-{name}"] = value.comment
    data.update(changes)
    return data


# ---------------------------------------------------------------- the whole campaign through the client


def test_a_whole_campaign_through_the_screens(
    client_for, coordinator, curators, municipality, school, neighbour_school, third_school, registry_data
):
    # The coordinator creates the campaign from the list.
    client = client_for(coordinator)
    listing = client.get(reverse("monitoring:campaign-list"))
    assert "Новый мониторинг" in body(listing)
    page = client.get(reverse("monitoring:campaign-create"))
    assert page.status_code == 200 and "Текст приказа" in body(page)
    assert "target_municipalities" not in page.context["form"].fields  # municipal: its own municipality
    response = client.post(reverse("monitoring:campaign-create"), form_data())
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "monitoring:campaign-detail", args=[campaign.pk]
    )
    assert (campaign.municipality, campaign.status, campaign.basis_date) == (
        municipality,
        "draft",
        week_ago(),
    )
    assert sorted(campaign.indicators.values_list("code", flat=True)) == CODES
    detail = client.get(response.url)
    assert f"приказ от {ru(week_ago())} №\xa016 «О проведении мониторинга" in text(detail)
    assert (
        'data-figure="expected">Под условия мониторинга сейчас подходят организаций: <strong>3</strong>'
        in body(detail)
    )

    # ... and opens it: three schools get their submissions.
    response = client.post(reverse("monitoring:campaign-transition", args=[campaign.pk]), {"action": "open"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "open" and Submission.objects.filter(campaign=campaign).count() == 3

    # School 1: sees the registry's figures with their source, answers the yes/no with its link, sends.
    first = submission_of(campaign, school)
    client = client_for(curators["school"])
    assert open_tasks_for(curators["school"]).get() == first
    edit_url = reverse("monitoring:submission-edit", args=[first.pk])
    page = client.get(edit_url)
    assert figure_row(page, "teachers").startswith("Педагогов всего")
    assert f"из реестра на {ru(week_ago())}" in figure_row(page, "teachers")
    assert 'value="40"' in re.search(r'<tr data-figure="teachers".*?</tr>', body(page), re.S).group(0)
    assert "введено" in figure_row(page, "regulation_on_site")
    response = client.post(
        edit_url, entries_post(first, **{"value-regulation_on_site": "да", "action": "submit"})
    )
    assert response.status_code == 200
    assert (
        "Положение о наставничестве размещено на сайте ОО: укажите ссылку на страницу сайта."
        in figure_row(response, "regulation_on_site")
    )
    assert submission_of(campaign, school).status == S.DRAFT
    response = client.post(
        edit_url,
        entries_post(
            first,
            **{
                "value-regulation_on_site": "да",
                "url-regulation_on_site": "school1.example.ru/nast",
                "action": "submit",
            },
        ),
    )
    assert response.status_code == 302 and response.url == reverse(
        "monitoring:submission-detail", args=[first.pk]
    )
    first.refresh_from_db()
    assert (first.status, first.on_time, first.submitted_by) == (S.SUBMITTED, True, curators["school"])
    assert "отправлен" in text(client.get(response.url))
    assert not open_tasks_for(curators["school"]).exists()

    # The coordinator reminds the two schools that have not sent.
    client = client_for(coordinator)
    response = client.post(reverse("monitoring:campaign-remind", args=[campaign.pk]), {"confirm": "1"})
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["soh2@example.ru", "soh3@example.ru"]
    detail = client.get(reverse("monitoring:campaign-detail", args=[campaign.pk]))
    missing = row_of(detail, "missing", "data-organization", neighbour_school.pk)
    assert "Петрова Анна" in missing and "soh2@example.ru" in missing and "не отправлен" in missing

    # School 2 corrects the registry: refused without a comment, then sent; returned; sent again.
    second = submission_of(campaign, neighbour_school)
    client = client_for(curators["neighbour"])
    edit_url = reverse("monitoring:submission-edit", args=[second.pk])
    answer = {"value-teachers": "31", "value-regulation_on_site": "нет", "action": "submit"}
    response = client.post(edit_url, entries_post(second, **answer))
    assert response.status_code == 200
    assert "Педагогов всего: 31 отличается от данных реестра (30) — поясните в комментарии." in figure_row(
        response, "teachers"
    )
    # «Сохранить» keeps a draft that is right so far.
    response = client.post(
        edit_url, entries_post(second, **{**answer, "comment-teachers": "Принят педагог", "action": "save"})
    )
    assert response.status_code == 302 and response.url == edit_url
    second.refresh_from_db()
    assert second.status == S.DRAFT
    page = client.get(edit_url)
    assert "введено" in figure_row(page, "teachers") and f"в реестре на {ru(week_ago())}: 30" in figure_row(
        page, "teachers"
    )
    response = client.post(
        edit_url, {**entries_post(second), "action": "submit", "curator_comment": "Готово"}
    )
    assert response.status_code == 302

    client = client_for(coordinator)
    review_url = reverse("monitoring:submission-review", args=[second.pk])
    page = client.get(reverse("monitoring:submission-detail", args=[second.pk]))
    assert "Принять" in body(page) and "Вернуть на доработку" in body(page)
    assert "Принят педагог" in figure_row(page, "teachers")
    response = client.post(review_url, {"action": "return", "comment": " "})
    assert response.status_code == 200 and "Укажите, что нужно исправить." in body(response)
    response = client.post(
        review_url, {"action": "return", "comment": "Проверьте число молодых специалистов"}
    )
    assert response.status_code == 302
    client = client_for(curators["neighbour"])
    page = client.get(reverse("monitoring:submission-detail", args=[second.pk]))
    assert "возвращён на доработку" in text(page) and "Проверьте число молодых специалистов" in text(page)
    assert "Заполнить отчёт" in body(page)
    response = client.post(
        edit_url, {**entries_post(second), "value-young_specialists": "4", "action": "submit"}
    )
    assert response.status_code == 302
    assert submission_of(campaign, neighbour_school).status == S.SUBMITTED

    # The coordinator moves the deadline into the past: school 3 is refused, returned, then late.
    client = client_for(coordinator)
    yesterday = today() - datetime.timedelta(days=1)
    edit = client.get(reverse("monitoring:campaign-edit", args=[campaign.pk]))
    assert edit.context["form"].fields["as_of_date"].disabled  # frozen once open
    response = client.post(
        reverse("monitoring:campaign-edit", args=[campaign.pk]),
        form_data(deadline=ru(yesterday), as_of_date=ru(today())),  # the as-of date is ignored
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.deadline, campaign.as_of_date) == (yesterday, week_ago())

    third = submission_of(campaign, third_school)
    client = client_for(curators["third"])
    edit_url = reverse("monitoring:submission-edit", args=[third.pk])
    page = client.get(edit_url)
    assert f"Срок сдачи отчётов истёк {ru(yesterday)}" in text(page)
    response = client.post(
        edit_url, entries_post(third, **{"value-regulation_on_site": "нет", "action": "submit"})
    )
    assert response.status_code == 200
    assert (
        f"Срок сдачи отчётов истёк {ru(yesterday)}: отправить отчёт можно, только если координатор"
        in text(response)
    )
    client = client_for(coordinator)
    page = client.get(reverse("monitoring:submission-detail", args=[third.pk]))
    assert "Вернуть на доработку" in body(page) and ">Принять<" not in body(page)
    response = client.post(
        reverse("monitoring:submission-review", args=[third.pk]),
        {"action": "return", "comment": "Сдайте сегодня"},
    )
    assert response.status_code == 302
    client = client_for(curators["third"])
    response = client.post(
        edit_url, entries_post(third, **{"value-regulation_on_site": "нет", "action": "submit"})
    )
    assert response.status_code == 302
    third.refresh_from_db()
    assert (third.status, third.on_time) == (S.SUBMITTED, False)

    # The coordinator accepts the three and closes; an accepted submission is locked.
    client = client_for(coordinator)
    for submission in (first, second, third):
        response = client.post(
            reverse("monitoring:submission-review", args=[submission.pk]), {"action": "accept"}
        )
        assert response.status_code == 302
    client = client_for(curators["school"])
    response = client.post(
        reverse("monitoring:submission-edit", args=[first.pk]), {**entries_post(first), "action": "save"}
    )
    assert response.status_code == 200 and "Отчёт принят и заблокирован: изменить его нельзя." in body(
        response
    )
    assert client.get(reverse("monitoring:submission-edit", args=[first.pk])).status_code == 302  # read-only

    client = client_for(coordinator)
    response = client.post(reverse("monitoring:campaign-transition", args=[campaign.pk]), {"action": "close"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "closed"

    # The figures on the page.
    detail = client.get(reverse("monitoring:campaign-detail", args=[campaign.pk]))
    page = text(detail)
    assert f"Сдано: 3 из 3, 100{NBSP}%; в срок — 2, с опозданием — 1; принято — 3." in page
    assert row_of(detail, "completeness", "data-municipality", municipality.pk) == (
        f"Октябрьский район 3 3 из 3, 100{NBSP}% 3 0 2 1"
    )
    assert "Все организации отправили отчёты." in page
    # R1: mentors ÷ teachers = (1 + 1 + 1) ÷ (40 + 31 + 20); R7: one «да» of three schools.
    assert row_of(detail, "indicators", "data-indicator", "R1").startswith(
        "R1. Доля педагогов — наставников молодых специалистов (форма «учитель – учитель») "
        f"3 из 91, 3,3{NBSP}%"
    )
    assert f"3 из 3, 100{NBSP}% ● достигнуто" in row_of(detail, "indicators", "data-indicator", "R6")
    assert f"1 из 3, 33{NBSP}%" in row_of(detail, "indicators", "data-indicator", "R7")
    by_municipality = row_of(detail, "indicators-by-municipality", "data-municipality", municipality.pk)
    assert f"3 из 91, 3,3{NBSP}% 1 место" in by_municipality
    for submission in (first, second, third):
        assert reverse("monitoring:submission-detail", args=[submission.pk]) in body(detail)

    # The returned submission keeps its whole story, on its page.
    page = client.get(reverse("monitoring:submission-detail", args=[second.pk]))
    history = re.search(r'data-table="history">(.*?)</table>', body(page), re.S).group(1)
    steps = [squash(row) for row in re.findall(r"<tr>(.*?)</tr>", history, re.S)]
    assert [re.sub(r"^\S+ \S+ ", "", step) for step in steps[1:]] == [
        "Петрова Анна не отправлен → отправлен Готово",
        "coordinator1 отправлен → возвращён на доработку Проверьте число молодых специалистов",
        "Петрова Анна возвращён на доработку → отправлен",
        "coordinator1 отправлен → принят",
    ]

    response = client.post(
        reverse("monitoring:campaign-transition", args=[campaign.pk]), {"action": "publish"}
    )
    campaign.refresh_from_db()
    assert campaign.status == "published"
    assert "Изменить" not in body(client.get(reverse("monitoring:campaign-detail", args=[campaign.pk])))


# ---------------------------------------------------------------- who may do what, on every URL


@pytest.fixture
def opened(coordinator, curators, municipality, registry_data):
    return svc.campaign_open(user=coordinator, campaign=make_campaign(coordinator, municipality))


@pytest.fixture
def actors(request, curators, coordinator, other_coordinator, operator, other_curator, admin_user):
    return {
        "curator": curators["school"],
        "neighbour curator": curators["neighbour"],
        "coordinator": coordinator,
        "operator": operator,
        "admin": admin_user,
        "other coordinator": other_coordinator,
        "other curator": other_curator,
        "other operator": f.make_user(
            "operator2", role="operator", region=f.make_region(name="Другая область")
        ),
        "no role": f.make_user("noscope"),
    }


# url name: (method, status per actor); 200/302 allowed, 403 sees but may not act, 404 out of scope.
MATRIX = {
    "campaign-list": ("get", dict.fromkeys(
        ["curator", "neighbour curator", "coordinator", "operator", "admin", "other coordinator",
         "other curator", "other operator", "no role"], 200)),
    "campaign-create": ("get", {
        "curator": 403, "neighbour curator": 403, "coordinator": 200, "operator": 200, "admin": 200,
        "other coordinator": 200, "other curator": 403, "other operator": 200, "no role": 403}),
    "campaign-detail": ("get", {
        "curator": 200, "neighbour curator": 200, "coordinator": 200, "operator": 200, "admin": 200,
        "other coordinator": 404, "other curator": 404, "other operator": 404, "no role": 404}),
    "campaign-edit": ("get", {
        "curator": 403, "neighbour curator": 403, "coordinator": 200, "operator": 403, "admin": 200,
        "other coordinator": 404, "other curator": 404, "other operator": 404, "no role": 404}),
    # «Опубликовать» an open campaign: allowed users get the service's refusal (302 back), nothing changes.
    "campaign-transition": ("post", {
        "curator": 403, "neighbour curator": 403, "coordinator": 302, "operator": 403, "admin": 302,
        "other coordinator": 404, "other curator": 404, "other operator": 404, "no role": 404}),
    # «Напомнить» first asks (200: «Будет отправлено N письмам…»); nothing is sent without confirm=1.
    "campaign-remind": ("post", {
        "curator": 403, "neighbour curator": 403, "coordinator": 200, "operator": 403, "admin": 200,
        "other coordinator": 404, "other curator": 404, "other operator": 404, "no role": 404}),
    # A municipal campaign has no second level (tests/monitoring/test_approval.py: a regional one's).
    "campaign-approval": ("get", {
        "curator": 403, "neighbour curator": 403, "coordinator": 404, "operator": 404, "admin": 404,
        "other coordinator": 404, "other curator": 403, "other operator": 404, "no role": 403}),
    "submission-detail": ("get", {
        "curator": 200, "neighbour curator": 404, "coordinator": 200, "operator": 200, "admin": 200,
        "other coordinator": 404, "other curator": 404, "other operator": 404, "no role": 404}),
    "submission-edit": ("get", {
        "curator": 200, "neighbour curator": 404, "coordinator": 403, "operator": 403, "admin": 200,
        "other coordinator": 404, "other curator": 404, "other operator": 404, "no role": 404}),
    # Accepting a draft: reviewers get the service's refusal on the page (200), nothing changes.
    "submission-review": ("post", {
        "curator": 403, "neighbour curator": 404, "coordinator": 200, "operator": 200, "admin": 200,
        "other coordinator": 404, "other curator": 404, "other operator": 404, "no role": 404}),
}  # fmt: skip


def matrix_url(name, campaign, submission) -> str:
    if name in ("campaign-list", "campaign-create"):
        return reverse(f"monitoring:{name}")
    if name == "campaign-approval":
        return reverse(f"monitoring:{name}", args=[campaign.pk, campaign.municipality_id])
    if name.startswith("campaign-"):
        return reverse(f"monitoring:{name}", args=[campaign.pk])
    return reverse(f"monitoring:{name}", args=[submission.pk])


def test_the_matrix_covers_every_campaign_url():
    pages = {name for name in PAGES if name.startswith(("monitoring:campaign-", "monitoring:submission-"))}
    assert {f"monitoring:{name}" for name in MATRIX} == pages


@pytest.mark.parametrize("name", list(MATRIX))
def test_who_may_open_what(name, client, client_for, opened, actors, school):
    submission = submission_of(opened, school)
    method, expected = MATRIX[name]
    url = matrix_url(name, opened, submission)
    data = {"campaign-transition": {"action": "publish"}, "submission-review": {"action": "accept"}}.get(
        name, {}
    )
    anonymous = getattr(client, method)(url, data)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    got = {}
    for actor, user in actors.items():
        client_for(user)  # an admin with its second factor given
        got[actor] = getattr(client, method)(url, data).status_code
    assert got == expected
    opened.refresh_from_db()
    assert opened.status == "open" and submission_of(opened, school).status == S.DRAFT


def test_out_of_scope_pages_say_nothing_about_the_campaign(client_for, opened, other_coordinator):
    response = client_for(other_coordinator).get(reverse("monitoring:campaign-detail", args=[opened.pk]))
    assert response.status_code == 404 and opened.title not in body(response)
    assert opened.title not in body(client_for(other_coordinator).get(reverse("monitoring:campaign-list")))


def test_a_curator_does_not_see_a_draft_and_sees_only_its_own_submission(
    client_for, coordinator, curators, municipality, school, neighbour_school, registry_data
):
    draft = make_campaign(coordinator, municipality)
    client = client_for(curators["school"])
    assert client.get(reverse("monitoring:campaign-detail", args=[draft.pk])).status_code == 404
    opened = svc.campaign_open(user=coordinator, campaign=draft)
    page = client.get(reverse("monitoring:campaign-detail", args=[opened.pk]))
    own = submission_of(opened, school)
    assert page.status_code == 200 and "Заполнить отчёт" in body(page)
    assert reverse("monitoring:submission-edit", args=[own.pk]) in body(page)
    assert reverse(
        "monitoring:submission-detail", args=[submission_of(opened, neighbour_school).pk]
    ) not in body(page)
    assert "Не сдали отчёт" not in body(page)  # the coordinator's tables
    listing = client.get(reverse("monitoring:campaign-list"))
    assert "Новый мониторинг" not in body(listing)
    assert row_of(listing, "campaigns", "data-campaign", opened.pk).endswith("не отправлен")


def test_the_list_shows_each_campaign_with_its_completeness(
    client_for, opened, coordinator, curators, school
):
    svc.submission_submit(
        user=curators["school"],
        submission=submission_of(opened, school),
        values={"regulation_on_site": "нет"},
    )
    make_campaign(coordinator, opened.municipality, title="Черновик следующего")
    client = client_for(coordinator)
    listing = client.get(reverse("monitoring:campaign-list"))
    assert row_of(listing, "campaigns", "data-campaign", opened.pk) == (
        f"Мониторинг района Октябрьский район открыт {ru(week_ago())} {ru(opened.deadline)} 1 из 3, 33{NBSP}%"
    )
    assert "Черновик следующего" in body(listing)
    filtered = client.get(reverse("monitoring:campaign-list") + "?status=draft")
    assert "Черновик следующего" in body(filtered) and f'data-campaign="{opened.pk}"' not in body(filtered)
    header, *rows = workbook(client.get(reverse("monitoring:campaign-list") + "?format=xlsx"))
    assert header == ["Наименование", "Территория", "Статус", "Данные на", "Срок сдачи", "Отчёты сданы"]
    assert sorted(row[:3] + row[5:] for row in rows) == [
        ["Мониторинг района", "Октябрьский район", "открыт", f"1 из 3, 33{NBSP}%"],
        ["Черновик следующего", "Октябрьский район", "черновик", None],
    ]


# ---------------------------------------------------------------- forms and refusals


def test_campaign_form_errors_are_shown_in_russian(client_for, coordinator, municipality, school):
    client = client_for(coordinator)
    response = client.post(
        reverse("monitoring:campaign-create"),
        form_data(period_end=ru(week_ago() - datetime.timedelta(days=1)), deadline="31.02.2026", title=""),
    )
    assert response.status_code == 200 and not Campaign.objects.exists()
    form = response.context["form"]
    assert form.errors["title"] == ["Обязательное поле."]
    assert form.errors["deadline"] == ["Введите дату в виде ДД.ММ.ГГГГ, например 16.12.2022."]
    response = client.post(
        reverse("monitoring:campaign-create"),
        form_data(period_end=ru(week_ago() - datetime.timedelta(days=1))),
    )
    assert "Окончание периода не может быть раньше его начала." in body(response)
    # Opening without indicators: the service's reason comes back as a message.
    response = client.post(reverse("monitoring:campaign-create"), form_data(indicators=[]))
    campaign = Campaign.objects.get()
    response = client.post(
        reverse("monitoring:campaign-transition", args=[campaign.pk]), {"action": "open"}, follow=True
    )
    assert "Выберите хотя бы один показатель." in body(response)
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_a_regional_campaign_scopes_its_municipalities_and_its_readers(
    client_for, operator, coordinator, other_coordinator, curators, municipality, other_municipality, school,
    registry_data, region,
):  # fmt: skip
    foreign = f.make_municipality(region=f.make_region(name="Чужая область"))
    client = client_for(operator)
    form = client.get(reverse("monitoring:campaign-create")).context["form"]
    assert set(form.fields["target_municipalities"].queryset) == {municipality, other_municipality}
    response = client.post(
        reverse("monitoring:campaign-create"), form_data(target_municipalities=[str(foreign.pk)])
    )
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.context["form"].errors["target_municipalities"][0]
    response = client.post(
        reverse("monitoring:campaign-create"), form_data(target_municipalities=[str(municipality.pk)])
    )
    campaign = Campaign.objects.get()
    assert campaign.municipality is None and list(campaign.target_municipalities.all()) == [municipality]
    # In the draft: none chosen means the whole region; then back to the one municipality.
    edit_url = reverse("monitoring:campaign-edit", args=[campaign.pk])
    assert client.post(edit_url, form_data()).status_code == 302
    assert set(campaign.target_municipalities.all()) == {municipality, other_municipality}
    client.post(edit_url, form_data(target_municipalities=[str(municipality.pk)]))
    assert list(campaign.target_municipalities.all()) == [municipality]
    client.post(reverse("monitoring:campaign-transition", args=[campaign.pk]), {"action": "open"})
    assert Submission.objects.filter(campaign=campaign).count() == 3  # the other municipality is not targeted

    # The coordinator of a targeted municipality reads it and reminds its schools, but does not run it.
    client = client_for(coordinator)
    page = client.get(reverse("monitoring:campaign-detail", args=[campaign.pk]))
    assert page.status_code == 200 and "Напомнить" in body(page) and "Завершить сбор" not in body(page)
    assert (
        client.post(reverse("monitoring:campaign-remind", args=[campaign.pk]), {"confirm": "1"}).status_code
        == 302
    )
    assert len(mail.outbox) == 3
    assert (
        client.post(
            reverse("monitoring:campaign-transition", args=[campaign.pk]), {"action": "close"}
        ).status_code
        == 403
    )
    assert (
        client_for(other_coordinator)
        .get(reverse("monitoring:campaign-detail", args=[campaign.pk]))
        .status_code
        == 404
    )


def test_an_admin_chooses_where_the_campaign_runs(client_for, admin_user, municipality, school):
    client = client_for(admin_user)
    response = client.post(
        reverse("monitoring:campaign-create"), form_data(municipality=str(municipality.pk))
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.region, campaign.municipality) == (municipality.region, municipality)


def test_submission_refusals_come_back_next_to_their_figures(client_for, opened, curators, school):
    submission = submission_of(opened, school)
    url = reverse("monitoring:submission-edit", args=[submission.pk])
    client = client_for(curators["school"])
    response = client.post(url, entries_post(submission, **{"value-teachers": "сорок", "action": "save"}))
    assert "Педагогов всего: введите целое число." in figure_row(response, "teachers")
    response = client.post(
        url,
        entries_post(
            submission,
            **{"value-young_specialists": "41", "comment-young_specialists": "?", "action": "save"},
        ),
    )
    assert "больше, чем «Педагогов всего» (40)" in figure_row(response, "young_specialists")
    assert 'value="41"' in re.search(
        r'<tr data-figure="young_specialists".*?</tr>', body(response), re.S
    ).group(0)
    response = client.post(url, {**entries_post(submission), "action": "submit"})
    assert "Положение о наставничестве размещено на сайте ОО: заполните." in figure_row(
        response, "regulation_on_site"
    )
    assert (
        dict(SubmissionValue.objects.filter(submission=submission).values_list("figure", "value"))[
            "young_specialists"
        ]
        == 4
    )  # nothing was written
    assert not SubmissionEvent.objects.exists()


def test_open_tasks_for_the_dashboard(coordinator, curators, municipality, school, registry_data):
    first = svc.campaign_open(
        user=coordinator, campaign=make_campaign(coordinator, municipality, title="Первый")
    )
    second = svc.campaign_open(
        user=coordinator,
        campaign=make_campaign(
            coordinator, municipality, title="Второй", deadline=today() + datetime.timedelta(days=3)
        ),
    )
    closed = svc.campaign_open(
        user=coordinator, campaign=make_campaign(coordinator, municipality, title="Закрытый")
    )
    svc.campaign_close(user=coordinator, campaign=closed)
    assert [s.campaign for s in open_tasks_for(curators["school"])] == [second, first]
    svc.submission_submit(
        user=curators["school"],
        submission=submission_of(second, school),
        values={"regulation_on_site": "нет"},
    )
    assert [s.campaign for s in open_tasks_for(curators["school"])] == [first]
    svc.submission_return(user=coordinator, submission=submission_of(second, school), comment="Исправьте")
    assert [s.campaign for s in open_tasks_for(curators["school"])] == [second, first]
    assert not open_tasks_for(coordinator).exists()


# ---------------------------------------------------------------- exports


def workbook(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return [list(row) for row in rows[3:]]  # title, «Выгрузил», blank; then the header


def test_every_table_of_the_campaign_page_exports(
    client_for, opened, coordinator, curators, school, neighbour_school, third_school
):
    svc.submission_submit(
        user=curators["school"],
        submission=submission_of(opened, school),
        values={"regulation_on_site": {"value": "да", "url": "https://school1.example.ru/nast"}},
    )
    client = client_for(coordinator)
    url = reverse("monitoring:campaign-detail", args=[opened.pk])
    page = body(client.get(url))
    for table in ("completeness", "missing", "indicators", "submissions"):
        assert f"?format=xlsx&amp;table={table}" in page

    header, *rows = workbook(client.get(url + "?format=xlsx&table=completeness"))
    assert header[:4] == ["Муниципалитет", "Ожидается отчётов", "Отправлено", "Отправлено, %"]
    assert rows[0][:3] == ["Октябрьский район", 3, 1] and rows[0][3] == pytest.approx(33.3)

    header, *rows = workbook(client.get(url + "?format=xlsx&table=missing"))
    assert header[:3] == ["Организация", "Код ОО", "Муниципалитет"]
    assert sorted(r[1] for r in rows) == sorted([neighbour_school.code, third_school.code])
    assert sorted(r[6] for r in rows) == ["soh2@example.ru", "soh3@example.ru"]

    header, *rows = workbook(client.get(url + "?format=xlsx&table=indicators"))
    assert header[3:6] == ["R1: числитель", "R1: знаменатель", "R1, %"]
    assert rows[-1][0] == "Итого: Октябрьский район"
    r7 = header.index("R7: числитель")
    assert rows[-1][r7 : r7 + 2] == [1, 3]  # one «да»; the denominator counts all three targets
    assert rows[0][header.index("R7: место")] == 1

    header, *rows = workbook(client.get(url + "?format=xlsx&table=submissions"))
    assert header[:4] == ["Организация", "Код ОО", "Муниципалитет", "Статус отчёта"]
    assert {(r[1], r[3]) for r in rows} >= {(school.code, "отправлен"), (third_school.code, "не отправлен")}

    assert client.get(url + "?format=xlsx&table=nothing").status_code == 404


# ---------------------------------------------------------------- a fixed number of queries


def municipality_with(schools: int, region):
    """A municipality of ``schools`` schools with headcounts and pairs, its coordinator and curators, an
    open campaign with a previous closed one (for the change), half of the schools sent."""
    area = f.make_municipality(region=region)
    orgs = [f.make_organization(municipality=area) for _ in range(schools)]
    registry_for(*orgs, as_of=week_ago())
    coordinator = f.make_user(role="coordinator", municipality=area)
    curators = [f.make_user(role="curator", organization=org) for org in orgs]
    for curator in curators:
        curator.email = f"{curator.username}@example.ru"
        curator.save()
    before = svc.campaign_open(
        user=coordinator,
        campaign=make_campaign(
            coordinator, area, title="Прошлый", as_of_date=week_ago() - datetime.timedelta(days=1)
        ),
    )
    svc.campaign_close(user=coordinator, campaign=before)
    campaign = svc.campaign_open(user=coordinator, campaign=make_campaign(coordinator, area))
    for org, curator in list(zip(orgs, curators, strict=True))[: schools // 2 + 1]:
        svc.submission_submit(
            user=curator, submission=submission_of(campaign, org), values={"regulation_on_site": "нет"}
        )
    return (
        coordinator,
        curators[-1],
        campaign,
        submission_of(campaign, orgs[0]),
        submission_of(campaign, orgs[-1]),
    )


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_take_the_same_number_of_queries_for_3_and_30_schools(
    client, region, operator, django_assert_max_num_queries
):
    counts = {}
    for size in (3, 30):
        coordinator, curator, campaign, submission, draft = municipality_with(size, region)
        pages = {
            "detail": (coordinator, reverse("monitoring:campaign-detail", args=[campaign.pk])),
            "detail (operator)": (operator, reverse("monitoring:campaign-detail", args=[campaign.pk])),
            "list": (coordinator, reverse("monitoring:campaign-list")),
            "submission": (coordinator, reverse("monitoring:submission-detail", args=[submission.pk])),
            "list (curator)": (curator, reverse("monitoring:campaign-list")),
            "detail (curator)": (curator, reverse("monitoring:campaign-detail", args=[campaign.pk])),
            "edit (curator)": (curator, reverse("monitoring:submission-edit", args=[draft.pk])),
        }
        for page, (user, url) in pages.items():
            client.force_login(user)
            client.get(url)  # warm the session
            counts[(page, size)] = queries(client, url)
        client.force_login(coordinator)
        # 21: while the campaign is open the change is read over the organizations that answered
        # both campaigns, one more report of three queries; + the bell's unread count (§14 of
        # docs/architecture.md).
        with django_assert_max_num_queries(22):
            response = client.get(reverse("monitoring:campaign-detail", args=[campaign.pk]))
        assert response.context["progress"].total.expected == size
        assert response.context["previous"].title == "Прошлый"
        if size == 3:  # 2 of 3 sent now, none before: nothing to compare, no made-up rise
            assert response.context["compared"].total.responded == 0
            assert f"п.{NBSP}п." not in row_of(response, "indicators", "data-indicator", "R6")
            area = campaign.municipality_id
            row = row_of(response, "indicators-by-municipality", "data-municipality", area)
            assert f"п.{NBSP}п." not in row
    for page in {page for page, _ in counts}:
        assert counts[(page, 3)] == counts[(page, 30)], (page, counts[(page, 3)], counts[(page, 30)])


def test_a_mail_server_down_is_said_and_nothing_is_marked_reminded(
    client_for, opened, coordinator, monkeypatch
):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise smtplib.SMTPConnectError(421, "down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    response = client_for(coordinator).post(
        reverse("monitoring:campaign-remind", args=[opened.pk]), {"confirm": "1"}, follow=True
    )
    assert "Не удалось отправить напоминания: почтовый сервер недоступен." in body(response)
    assert not Submission.objects.filter(campaign=opened, last_reminded_at__isnull=False).exists()
