"""Golden tests: the demo region rebuilds the seeds' published figures through the counting selectors."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from common.formats import parse_ru_date, share, share_of
from registry import selectors
from registry.models import (
    Contest,
    Meeting,
    MentoringPlan,
    Mentorship,
    MethodistRegistryEntry,
    Municipality,
    Person,
    PlanItem,
    PlanTemplate,
    PlanTemplateItem,
    PracticeBankEntry,
    Region,
    TrainingCourse,
)
from tests.golden.conftest import golden

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("golden")]  # one seeding: conftest.py


def test_oktyabrsky_shares_of_seed_002(demo):
    g = golden("seed_002_oktyabrsky.json")
    municipality = Municipality.objects.get(code=g["municipality_code"])
    as_of = parse_ru_date(g["as_of"])
    counts = selectors.form_counts(scope=municipality, as_of=as_of)
    heads = selectors.headcount_totals(scope=municipality, as_of=as_of)
    assert heads.organizations == g["organizations"]
    assert {k: getattr(heads, k) for k in g["denominators"]} == g["denominators"]
    for item in g["shares"]:
        numerator = getattr(counts[item["form"]], item["numerator"])
        denominator = getattr(heads, item["denominator"])
        assert numerator == item["count"], item["text"]
        assert share(numerator, denominator) == item["published"].replace(" ", "\xa0"), item["text"]


def test_every_oktyabrsky_school_runs_the_target_model(demo):
    g = golden("seed_002_oktyabrsky.json")
    municipality = Municipality.objects.get(code=g["municipality_code"])
    totals = selectors.totals(scope=municipality, as_of=parse_ru_date(g["as_of"]))
    assert totals.organizations_with_mentoring == g["organizations_with_target_model"]


def test_pairs_outside_the_date_are_not_counted(demo):
    """Drafts, pairs ended before 30.12.2022 and pairs started after it exist, and are left out."""
    municipality = Municipality.objects.get(code="M01")
    as_of = parse_ru_date("30.12.2022")
    in_municipality = Mentorship.objects.filter(
        organization__municipality=municipality, mentoring_form__code="student_student"
    )
    assert in_municipality.filter(status="draft").exists()
    assert in_municipality.filter(end_date__lt=as_of).exclude(status="draft").exists()
    assert in_municipality.filter(start_date__gt=as_of).exclude(status="draft").exists()
    counted = selectors.links_as_of(municipality, as_of).filter(mentoring_form__code="student_student")
    assert counted.values("mentorship").distinct().count() < in_municipality.count()


def test_a_person_in_two_forms_counts_once_in_the_totals(demo):
    municipality = Municipality.objects.get(code="M01")
    as_of = parse_ru_date("30.12.2022")
    per_form = selectors.form_counts(scope=municipality, as_of=as_of)
    totals = selectors.totals(scope=municipality, as_of=as_of)
    # pupils mentored by teachers («учитель – ученик») are also mentees of pupils («ученик – ученик»)
    assert totals.mentees < sum(c.mentees for c in per_form.values())
    assert totals.mentees == 1270 + 30


def test_smolensk_figures_of_seed_003(demo):
    g = golden("seed_003_smolensk.json")
    region = Region.objects.get(code=g["region_code"])
    assert region.municipalities.count() == g["municipalities"]
    with_doc, schools = selectors.organizations_with_document(
        scope=region, doc_type="regulation", as_of=parse_ru_date(g["regulation_on_site"]["as_of"])
    )
    assert schools == g["schools"]
    assert share_of(with_doc, schools) == "254 из 340, 75\xa0%"
    contest = Contest.objects.get(region=region, title=g["contest"]["title"])
    by_type = dict(contest.entries.values_list("organization__org_type").annotate(n=Count("id")))
    assert by_type == g["contest"]["by_org_type"]
    assert contest.entries.filter(result="winner").count() == g["contest"]["winners"]
    assert PracticeBankEntry.objects.filter(region=region, status="published").count() == g["practice_bank"]
    assert MethodistRegistryEntry.objects.filter(region=region).count() == g["methodists"]
    trained = {
        c.provider: c.completions.count() or c.reported_trained_count
        for c in TrainingCourse.objects.filter(region=region, start_date__year=2023)
    }
    assert trained == g["trained"]


def _counts():
    return (
        Person.objects.count(),
        Mentorship.objects.count(),
        Person.history.count(),
        MentoringPlan.history.count(),
        PlanItem.history.count(),
        Meeting.history.count(),
        PlanTemplate.objects.count(),
        PlanTemplateItem.objects.count(),
    )


def test_seed_demo_is_idempotent(demo):
    before = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == before


def test_demo_pairs_have_plans_with_done_and_one_overdue_task(demo, client):
    """docs/domain.md §4.1: three plans; the curator's school has the one overdue task."""
    today = datetime.date.today()
    assert MentoringPlan.objects.count() == 3
    assert PlanItem.objects.filter(status="done").count() == 6
    assert PlanItem.objects.filter(status="cancelled").count() == 2
    overdue = PlanItem.objects.filter(status="planned", deadline__lt=today)
    assert overdue.count() == 1
    pair = overdue.get().plan.mentorship
    client.force_login(get_user_model().objects.get(username="curator"))
    body = client.get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode()
    assert 'data-figure="plan-progress">2 из 5 (40\xa0%)<' in body
    assert 'data-figure="plan-overdue">1<' in body and "Изменить план" in body


def test_demo_region_ships_the_first_year_plan_template(demo):
    """docs/domain.md §4.1: «План первого года молодого педагога» for «учитель – учитель»."""
    template = PlanTemplate.objects.get(title="План первого года молодого педагога")
    assert (template.region.code, template.mentoring_form.code) == ("DEMO", "teacher_teacher")
    assert template.items.count() == 6


def test_demo_pairs_have_meetings_and_some_went_silent(demo, client):
    """docs/domain.md §4.2: the curator's teachers met last week; their first pupils' pair has not met
    for seven weeks, «без встреч» alike on the dashboard, in the filtered list and on the card."""
    today = datetime.date.today()
    pairs = Mentorship.objects.filter(meetings__isnull=False).distinct()
    start = datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    if (today - start).days < 7 * 7 + 3:
        pytest.skip("early in the school year: the demo's pairs have not had the weeks to go silent")
    assert pairs.count() == 5
    assert Meeting.objects.filter(date__gt=today).count() == 0
    assert Meeting.objects.filter(plan_items__isnull=False).exists()
    silent = set(Mentorship.objects.silent(today).filter(pk__in=pairs).values_list("pk", flat=True))
    assert len(silent) == 2
    client.force_login(get_user_model().objects.get(username="curator"))
    dashboard = client.get(reverse("dashboard"))
    listed = client.get(reverse("registry:mentorship-list") + "?silent=1").context["page"].paginator.count
    assert dashboard.context["alerts"]["silent"] == listed >= 1
    for pair in pairs.filter(organization__code="D0116"):
        warned = (
            "без встреч"
            in client.get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode().lower()
        )
        assert warned == (pair.pk in silent)


def test_demo_region_pages_show_smolensk_figures(demo, client):
    """Seed 003's contest, methodists, courses and public practices, as the operator's pages print them."""
    client.force_login(get_user_model().objects.get(username="operator"))
    contest = Contest.objects.get(title="Педагогический дуэт")
    body = client.get(reverse("registry:contest-detail", args=[contest.pk])).content.decode()
    assert (
        'data-figure="entry-counts">ДОО — 10 (38,5\xa0%), общеобразовательные — 15 (57,7\xa0%), '
        "ДО — 1 (3,8\xa0%), всего 26<" in body
    )
    body = client.get(reverse("registry:methodist-list")).content.decode()
    assert 'data-figure="methodists">73<' in body
    trained = {c.title: str(t) for c, t in client.get(reverse("registry:course-list")).context["rows"]}
    assert sorted(trained.values()) == ["100 (по отчёту провайдера)", "30", "75"]
    public = client.get(reverse("registry:practice-public-list")).context["page"].paginator.count
    assert public == 26
