"""Second battery, class 3: filter values out of range never give a 500.

Every page of the portal that a GET opens (found by walking the URL resolver; pages with an
object in the address are filled from factories) is asked with hostile values for each of its
parameters, as each role; the parameters are those of the page's own GET forms (the filter
forms rendered on it, found in its HTML and its context) plus the ones every list reads
(``page``, ``sort``, ``o``, ``q``, ``format``…). The admin's changelists are walked the same way
from the admin registry: the parameters of their ``list_filter``, ``date_hierarchy``, search,
ordering and paging. A new list or a new filter joins the walk the day it is added.

Year lookups take no year out of 1..9999 (Python's dates), an integer column no number beyond
its range (PostgreSQL raises on bigint overflow, SQLite beyond 2**63), PostgreSQL no NUL in
text: such a value is a refused filter, never a server error. The main lists are also checked to
show the Russian note and the list unfiltered.

Second battery, #70 of docs/reliability.md §5.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django import forms as django_forms
from django.contrib import admin
from django.urls import reverse
from django_filters import FilterSet

from tests import factories as f
from tests.portal_urls import url_patterns
from tests.registry import factories_regional as fr
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db

HUGE = "12345678901234567890"  # beyond a bigint and beyond 2**63
HOSTILE = [
    "-1",
    "0",
    "10000",
    HUGE,
    "²",  # str.isdigit() says yes, int() says no
    "1.5",
    "\x00",  # PostgreSQL refuses NUL in text
    "я" * 3000,
    "31.02.2024",
    "31.12.9999",  # a real date at the edge: the day after it is no Python date
    "01.01.0001",
    "not-a-uuid",
]
# Values tried with every parameter at once, as every role.
SHORT = [HUGE, "-1", "10000", "²", "\x00", "31.02.2024", "я" * 3000]
# What lists read without a form field of their own.
ALWAYS = ["page", "sort", "o", "q", "format", "year", "table", "base", "form", "municipality"]
ROLES = ("admin", "operator", "coordinator", "curator", "mentor")

# Pages with an object in the address: how the world below fills them. The others are pages that
# answer POST only, files and the import jobs' pages (they read no filter), listed so that a new
# URL is classified here the day it is added.
FILLED = {
    "registry:organization-detail": lambda w: {"code": w.school.code},
    "registry:organization-edit": lambda w: {"code": w.school.code},
    "registry:headcount-edit": lambda w: {"code": w.school.code},
    "registry:document-create": lambda w: {"code": w.school.code},
    "registry:status-create": lambda w: {"code": w.school.code},
    "registry:person-detail": lambda w: {"pk": w.person.pk},
    "registry:person-edit": lambda w: {"pk": w.person.pk},
    "registry:person-invite": lambda w: {"pk": w.person.pk},
    "registry:mentorship-detail": lambda w: {"pk": w.pair.pk},
    "registry:mentorship-edit": lambda w: {"pk": w.pair.pk},
    "registry:mentorship-plan-edit": lambda w: {"pk": w.pair.pk},
    "registry:mentorship-plan-item-add": lambda w: {"pk": w.pair.pk},
    "registry:mentorship-plan-item-edit": lambda w: {"pk": w.pair.pk, "item": w.plan_item.pk},
    "registry:mentorship-agreement-upload": lambda w: {"pk": w.pair.pk},
    "registry:mentorship-meeting-add": lambda w: {"pk": w.pair.pk},
    "registry:mentorship-meeting-edit": lambda w: {"pk": w.pair.pk, "meeting": w.meeting.pk},
    "registry:practice-detail": lambda w: {"pk": w.practice.pk},
    "registry:contest-detail": lambda w: {"pk": w.contest.pk},
    "registry:contest-edit": lambda w: {"pk": w.contest.pk},
    "registry:contest-entry-create": lambda w: {"pk": w.contest.pk},
    "registry:course-detail": lambda w: {"pk": w.course.pk},
    "registry:course-edit": lambda w: {"pk": w.course.pk},
    "registry:course-completion-add": lambda w: {"pk": w.course.pk},
    "registry:methodist-edit": lambda w: {"pk": w.methodist.pk},
    "monitoring:roadmap-detail": lambda w: {"pk": w.roadmap.pk},
    "monitoring:roadmap-edit": lambda w: {"pk": w.roadmap.pk},
    "monitoring:roadmap-event-create": lambda w: {"pk": w.roadmap.pk},
    "monitoring:campaign-detail": lambda w: {"pk": w.campaign.pk},
    "monitoring:campaign-edit": lambda w: {"pk": w.campaign.pk},
    "monitoring:submission-detail": lambda w: {"pk": w.submission.pk},
    "monitoring:submission-edit": lambda w: {"pk": w.submission.pk},
    "registry:user-detail": lambda w: {"pk": w.curator.pk},
    "registry:user-scope": lambda w: {"pk": w.curator.pk},
    "registry:user-deactivate": lambda w: {"pk": w.curator.pk},
    "registry:user-second-factor-reset": lambda w: {"pk": w.curator.pk},
}
NOT_FILLED = {
    "registry:status-end",  # POST only
    "registry:document-edit",
    "registry:document-delete",
    "registry:document-file",
    "registry:person-archive",
    "registry:person-export",
    "registry:person-destroy",
    "registry:mentorship-activate",
    "registry:mentorship-complete",
    "registry:mentorship-terminate",
    "registry:mentorship-plan-from-template",  # POST only
    "registry:practice-public-file",
    "registry:practice-review",
    "registry:practice-file",
    "registry:contest-entry-edit",
    "registry:import-job",
    "registry:import-job-status",
    "registry:import-job-confirm",
    "registry:import-job-retry",
    "registry:export-job",  # its owner's only, reads no filter
    "registry:export-job-status",
    "registry:export-job-download",
    "monitoring:roadmap-event-edit",
    "monitoring:roadmap-event-status",
    "monitoring:campaign-transition",
    "monitoring:campaign-remind",
    "notification-open",  # reads no filter, redirects to its page; its owner: tests/test_notifications.py
    "monitoring:submission-review",
    "monitoring:campaign-approval",  # reads no filter; scope: tests/monitoring/test_approval.py
    "monitoring:questionnaire-detail",  # read no filter; their scope: tests/monitoring/test_questionnaires.py
    "monitoring:questionnaire-edit",
    "monitoring:questionnaire-questions",
    "monitoring:questionnaire-copy",  # POST only
    "registry:plan-template-detail",  # no filter; scope: tests/registry/test_plan_template_views.py
    "registry:plan-template-edit",
    "registry:plan-template-delete",  # POST only
    # scope: tests/monitoring/test_surveys.py; its ?municipality=: tests/monitoring/test_survey_results.py
    "monitoring:survey-round-detail",
    "monitoring:survey-round-transition",
    "monitoring:survey-round-links",
    "survey:answer",  # public, a personal link: tests/monitoring/test_surveys.py
    "registry:mentor-invitation",  # public, a one-time link: tests/registry/test_mentor_accounts.py
    "reports:detail",
    "reports:redraft",
    "reports:publish",
    "reports:report-file",
    "reports:version",
    "reports:version-file",
    "reports:file",
    "reports:file-status",
    "reports:file-download",
    "registry:mentorship-agreement-file",  # a file, reads no filter
    "reports:agreement-docx",  # files, read no filter
    "reports:agreement-pdf",
    "registry:user-reactivate",  # POST only
    "registry:user-invitation-resend",  # POST only
    "monitoring:roadmap-calendar",  # a file, reads no filter; scope: tests/test_calendar.py
    "calendar-feed",  # public, a secret link: tests/test_calendar.py
    "password-reset-confirm",  # public, a one-time link: tests/test_password_reset.py
    "email-confirm-link",  # a signed link: tests/test_password_reset.py
}
NOT_PAGES = {"login", "logout", "second-factor", "registry:workbook-template"}


def portal_pages() -> list[str]:
    names = []
    for name, pattern in url_patterns():
        if name in NOT_PAGES or name in NOT_FILLED:
            continue
        if pattern.pattern.converters and name not in FILLED:
            continue  # test_every_page_with_an_object_is_classified says which
        names.append(name)
    return sorted(names)


def admin_models() -> list[str]:
    return sorted(f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry)


class GetFormFields(HTMLParser):
    """Names of the fields of every GET form of a page (the filters a person can set)."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_get_form = (attrs.get("method") or "get").lower() == "get"
        elif self._in_get_form and tag in ("input", "select", "textarea") and attrs.get("name"):
            self.names.add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


def filter_parameters(response) -> set[str]:
    """The fields of the page's GET forms (its filters), from its HTML and its context."""
    names = set()
    if "html" in response.get("Content-Type", ""):
        parser = GetFormFields()
        parser.feed(response.content.decode())
        names |= parser.names
    for context in response.context or []:
        for value in context.flatten().values():
            if isinstance(value, FilterSet):
                names |= set(value.form.fields)
            elif isinstance(value, django_forms.BaseForm) and value.data is response.wsgi_request.GET:
                names |= set(value.fields)
    names.discard("csrfmiddlewaretoken")
    return names


def form_fields(response) -> set[str]:
    """Every field of every form on the page: some pages fill their forms from the query string."""
    names = set()
    for context in response.context or []:
        for value in context.flatten().values():
            if isinstance(value, django_forms.BaseForm):
                names |= {value.add_prefix(name) for name in value.fields}
    return names


class World:
    """One of everything a page can show, in the test region; users of each role."""

    def __init__(self):
        from monitoring import campaigns as svc
        from monitoring.models import RoadMap, Submission
        from registry.models import school_year_of

        self.region = f.make_region(name="Тестовая область")
        self.municipality = f.make_municipality(region=self.region, name="Октябрьский район")
        self.school = f.make_organization(municipality=self.municipality, short_name="СОШ № 1")
        self.curator = f.make_user("curator1", role="curator", organization=self.school)
        self.coordinator = f.make_user("coordinator1", role="coordinator", municipality=self.municipality)
        self.operator = f.make_user("operator1", role="operator", region=self.region)
        from django.contrib.auth import get_user_model

        self.admin = get_user_model().objects.create_superuser("root", password="pass")
        today = datetime.date.today()
        f.make_headcount(organization=self.school, school_year=school_year_of(today))
        self.person = make_member(organization=self.school, base="mentors", full_name="Иванова Анна Петровна")
        make_member(organization=self.school, base="mentees", full_name="Петров Пётр Ильич")
        self.pair = f.make_mentorship(organization=self.school)
        self.plan_item = f.make_plan_item(self.pair)
        self.meeting = f.make_meeting(self.pair)
        self.mentor = f.make_user("mentor1", role="mentor", person=self.pair.mentor_person)
        self.practice = fr.make_practice(organization=self.school)
        self.contest = fr.make_contest(region=self.region, title="Конкурс 2023")
        fr.make_contest(
            region=self.region,
            title="Конкурс 2024",
            start_date=datetime.date(2024, 3, 1),
            end_date=datetime.date(2024, 3, 30),
        )
        fr.make_entry(contest=self.contest, organization=self.school)
        self.course = fr.make_course(region=self.region, title="Курс 2023")
        fr.make_course(
            region=self.region,
            title="Курс 2024",
            start_date=datetime.date(2024, 1, 10),
            end_date=datetime.date(2024, 2, 10),
        )
        fr.make_completion(course=self.course, person=self.person)
        self.methodist = fr.make_methodist(person=self.person)
        self.roadmap = RoadMap.objects.create(
            title="Региональный план", level=RoadMap.Level.REGION, region=self.region
        )
        self.campaign = svc.campaign_create(
            user=self.coordinator,
            municipality=self.municipality,
            indicators=["R1", "R2"],
            title="Мониторинг района",
            period_start=today - datetime.timedelta(days=7),
            period_end=today + datetime.timedelta(days=14),
            as_of_date=today - datetime.timedelta(days=7),
            deadline=today + datetime.timedelta(days=7),
        )
        svc.campaign_open(user=self.coordinator, campaign=self.campaign)
        self.submission = Submission.objects.get(campaign=self.campaign, organization=self.school)

    def user(self, role):
        return getattr(self, role)


@pytest.fixture
def world(db):
    return World()


def _check(client, url, params, failures, label, follow=False):
    """GETs ``url``; a server error is noted with the exception that caused it."""
    client.raise_request_exception = False
    response = client.get(url, params, follow=follow)
    if response.status_code >= 500:
        exc = response.exc_info[1] if getattr(response, "exc_info", None) else None
        shown = {key: (value[:24] if isinstance(value, str) else value) for key, value in params.items()}
        failures.append((label, shown, response.status_code, repr(exc)[:160]))
    return response


def _fuzz(client, url, names, values, failures, label):
    """Each parameter alone with each value, then twice; then all of them at once in the export."""
    for name in sorted(names):
        for value in values:
            _check(client, url, {name: value}, failures, label)
        _check(client, url, {name: ["1", "2"]}, failures, label)
    for value in SHORT:
        _check(client, url, {**dict.fromkeys(names, value), "format": "xlsx"}, failures, label)


def _all_at_once(client, url, names, failures, label):
    for value in SHORT:
        _check(client, url, dict.fromkeys(names, value), failures, label)
    _check(client, url, {name: ["1", "2"] for name in names}, failures, label)


def test_every_page_with_an_object_is_classified():
    names = {name for name, pattern in url_patterns() if pattern.pattern.converters}
    assert names == set(FILLED) | NOT_FILLED, (
        "a page with an object in its address missing from FILLED/NOT_FILLED"
    )


@pytest.mark.parametrize("name", portal_pages())
def test_portal_page_survives_hostile_filter_values(name, world, client_for):
    pattern = dict(url_patterns())[name]
    kwargs = FILLED[name](world) if pattern.pattern.converters else {}
    url = reverse(name, kwargs=kwargs)
    failures = []
    for role in ROLES:
        client = client_for(world.user(role))
        first = client.get(url)
        assert first.status_code < 500, (name, role)
        if first.status_code != 200:
            continue
        names = filter_parameters(first)
        # The widest role tries each filter alone with every value; all roles try them together.
        if role == "admin" and names:
            _fuzz(client, url, names | {"page", "sort", "o"}, HOSTILE, failures, f"{name} as {role}")
        _all_at_once(client, url, names | form_fields(first) | set(ALWAYS), failures, f"{name} as {role}")
    assert not failures, "\n".join(map(repr, failures))


@pytest.mark.parametrize("model", admin_models())
def test_admin_changelist_survives_hostile_filter_values(model, world, client_for):
    model_admin = next(
        ma for m, ma in admin.site._registry.items() if f"{m._meta.app_label}.{m._meta.model_name}" == model
    )
    url = reverse(f"admin:{model.replace('.', '_')}_changelist")
    client = client_for(world.admin)
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    names = {"q", "o", "p", "all"}
    for spec in first.context["cl"].filter_specs:
        names |= set(spec.expected_parameters())
    hierarchy = model_admin.date_hierarchy
    if hierarchy:
        names |= {f"{hierarchy}__year", f"{hierarchy}__month", f"{hierarchy}__day"}
    failures = []
    _fuzz(client, url, names, HOSTILE, failures, model)
    if hierarchy:
        for year, month, day in (
            ("9999", "12", "31"),
            ("9999", "12", None),
            ("9999", None, None),
            ("2024", "2", "31"),
            ("2024", "13", None),
            (HUGE, "1", "1"),
            ("2024", HUGE, None),
            ("2024", "1", HUGE),
        ):
            params = {f"{hierarchy}__year": year, f"{hierarchy}__month": month, f"{hierarchy}__day": day}
            params = {key: value for key, value in params.items() if value is not None}
            _check(client, url, params, failures, model, follow=True)
    assert not failures, "\n".join(map(repr, failures))


# ---------------------------------------------------------------- the main ones, what the person sees

OUT_OF_RANGE_YEARS = ["-1", "0", "10000", HUGE, "²", "1.5"]


@pytest.mark.parametrize("name", ["registry:contest-list", "registry:course-list"])
def test_a_year_out_of_range_is_a_note_and_the_list_unfiltered(name, world, client_for):
    client = client_for(world.operator)
    url = reverse(name)
    assert client.get(url, {"year": "2024"}).context["page"].paginator.count == 1  # the filter works
    for year in OUT_OF_RANGE_YEARS:
        response = client.get(url, {"year": year})
        assert response.status_code == 200, year
        assert response.context["page"].paginator.count == 2, year  # both years: not filtered
        assert "Фильтр «Год» не применён: введите год целым числом от 1 до 9999." in response.content.decode()
        export = client.get(url, {"year": year, "format": "xlsx"})
        assert export.status_code == 200, year
        assert export["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("base", ["mentor", "mentee"])
def test_a_municipality_id_out_of_range_in_the_people_list_is_refused_in_russian(base, world, client_for):
    client = client_for(world.operator)
    url = reverse(f"registry:{base}-list")
    for value in (HUGE, "-1", "²", "9" * 19):
        response = client.get(url, {"municipality": value})
        assert response.status_code == 200, value
        # The list's rule for a tampered filter: its error and no rows rather than everything.
        assert "Выберите корректный вариант" in response.content.decode(), value
        assert client.get(url, {"municipality": value, "format": "xlsx"}).status_code == 200, value


def test_a_headcount_year_out_of_range_opens_the_current_year(world, client_for):
    client = client_for(world.curator)
    url = reverse("registry:headcount-edit", args=[world.school.code])
    expected = client.get(url).context["form"].initial["school_year"]
    for year in ("²", HUGE, "-1", "0"):
        response = client.get(url, {"year": year})
        assert response.status_code == 200, year
        assert response.context["form"].initial["school_year"] == expected, year


DATE_HIERARCHY_REFUSED = [
    ({"year": "99999"}, "год «99999» — не число от 1 до 9999."),
    ({"year": HUGE}, f"год «{HUGE}» — не число от 1 до 9999."),
    ({"year": "2024", "month": "13"}, "такой даты нет."),
    ({"year": "2024", "month": "2", "day": "30"}, "такой даты нет."),
    ({"year": "2024", "month": "1", "day": "0"}, "такой даты нет."),
    ({"year": "2024", "day": HUGE}, f"день «{HUGE}» — не число от 1 до 9999."),
    ({"year": "9999"}, "период выходит за 9999 год."),
    ({"year": "9999", "month": "12"}, "период выходит за 9999 год."),
    ({"year": "9999", "month": "12", "day": "31"}, "период выходит за 9999 год."),
    ({"month": "1"}, "не указан год."),
]


@pytest.mark.parametrize(
    ("parts", "reason"),
    DATE_HIERARCHY_REFUSED,
    ids=["-".join(p.values())[:30] for p, _ in DATE_HIERARCHY_REFUSED],
)
def test_the_admins_date_hierarchy_out_of_range_is_a_note_and_the_list_unfiltered(
    parts, reason, world, client_for
):
    client = client_for(world.admin)
    url = reverse("admin:registry_contest_changelist")
    assert client.get(url, {"start_date__year": "2024"}).context["cl"].result_count == 1  # it works
    response = client.get(url, {f"start_date__{part}": value for part, value in parts.items()})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2  # not filtered
    assert f"Фильтр по дате «начало» не применён: {reason} Показан весь список." in [
        str(message) for message in response.context["messages"]
    ]


def test_every_model_admin_refuses_out_of_range_values_the_same_way():
    """The site's ``register`` gives the mixin to every ModelAdmin, the libraries' ones too."""
    from common.filters import SafeChangeListMixin

    assert admin.site._registry
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, SafeChangeListMixin), model
