"""Golden tests: the demo's campaigns and road maps rebuild the seeds' published monitoring figures.

Seed 002 (Oktyabrsky shares), seed 003 (Smolensk: 228 of 340, 67 %; 254 of 340, 75 %), seed 000
(Bryansk: eight events by month), read through ``monitoring.selectors`` the way the screens read them.
"""

import ast
import datetime
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.urls import reverse
from django.utils import timezone

from common.formats import parse_ru_date
from monitoring import campaigns as svc
from monitoring import rights, selectors
from monitoring.demo import MonitoringDemo
from monitoring.indicators import Value
from monitoring.models import Campaign, RoadMap, RoadMapEvent, Submission, SubmissionValue, SurveyRound
from registry import access
from registry import selectors as registry_selectors
from registry.demo import CURATOR_SCHOOL_CODE, PASSWORD
from registry.models import Municipality, Region, UserScope, school_year_of
from tests.golden.conftest import NBSP, golden, printed

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime.timedelta(days=1)
S = Submission.Status


pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("golden")]  # one seeding: conftest.py


def user(username):
    return get_user_model().objects.get(username=username)


def region():
    return Region.objects.get(code=golden("seed_003_smolensk_monitoring.json")["region_code"])


def oktyabrsky_campaign():
    g = golden("seed_002_oktyabrsky.json")
    return Campaign.objects.get(
        municipality__code=g["municipality_code"], as_of_date=parse_ru_date(g["as_of"])
    )


def regional_campaign(period):
    start, end = (parse_ru_date(day) for day in period)
    return Campaign.objects.get(region=region(), municipality=None, period_start=start, period_end=end)


# ---------------------------------------------------------------- the command


def test_seed_demo_lives_in_the_wiring_app_and_prints_the_accounts(demo):
    assert get_commands()["seed_demo"] == "mentoring_portal"
    assert f"пароль «{PASSWORD}»" in demo
    for username in ("admin", "operator", "coordinator", "curator", "mentor"):
        assert f"  {username} " in demo


def test_registry_imports_nothing_from_monitoring():
    """The command moved so that the registry stays below monitoring."""
    offenders = []
    for path in (ROOT / "registry").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "monitoring"]
    assert offenders == []


# ---------------------------------------------------------------- seed 002: Oktyabrsky


def test_oktyabrsky_campaign_reproduces_the_shares_of_seed_002(demo):
    g = golden("seed_002_oktyabrsky.json")
    campaign = oktyabrsky_campaign()
    assert (campaign.basis_number, campaign.basis_date) == ("16", datetime.date(2022, 12, 16))
    assert campaign.basis == (
        "приказ от 16.12.2022 №\xa016 «О проведении мониторинга реализации «дорожной карты» работы "
        "педагогов-наставников»"
    )
    assert "1. Провести данный мониторинг до 30.12.2022 года." in campaign.basis_text
    assert campaign.deadline == datetime.date(2022, 12, 30)
    assert campaign.status == Campaign.Status.PUBLISHED
    coordinator = user("coordinator")
    assert (
        campaign.created_by,
        campaign.opened_by,
        campaign.closed_by,
        campaign.published_by,
    ) == (coordinator,) * 4

    report = selectors.indicator_report(campaign)
    assert (report.total.expected, report.total.responded) == (g["organizations"], g["organizations"])
    for item in g["shares"]:
        numerator = f"{item['numerator']}:{item['form']}"
        indicator = next(
            i for i in report.indicators if (i.numerator, i.denominator) == (numerator, item["denominator"])
        )
        value = report.total.values[indicator.code]
        assert value.numerator == item["count"], item["text"]
        assert value.denominator == g["denominators"][item["denominator"]], item["text"]
        assert value.share() == printed(item["published"]), item["text"]
    model = next(i for i in report.indicators if i.numerator == "target_model")
    assert report.total.values[model.code].text() == f"26 из 26, 100{NBSP}%"
    assert g["organizations_with_target_model"] == 26


def test_oktyabrsky_submissions_were_sent_by_curators_and_accepted_by_the_coordinator(demo):
    campaign = oktyabrsky_campaign()
    total = selectors.completeness(campaign).total
    assert (total.expected, total.submitted, total.accepted, total.on_time, total.late) == (26, 26, 26, 26, 0)
    assert total.text == f"26 из 26, 100{NBSP}%"
    coordinator = user("coordinator")
    submissions = campaign.submissions.select_related("submitted_by__scope", "accepted_by")
    for submission in submissions:
        assert submission.submitted_by.scope.role == UserScope.Role.CURATOR
        assert submission.submitted_by.scope.organization_id == submission.organization_id
        assert submission.accepted_by == coordinator
        assert datetime.date(2022, 12, 16) < timezone.localdate(submission.submitted_at) <= campaign.deadline
        steps = [(e.from_status, e.to_status) for e in submission.events.all()]
        assert steps[0] == (S.DRAFT, S.SUBMITTED) and steps[-1] == (S.SUBMITTED, S.ACCEPTED)
    # The registry's figures as of 30.12.2022 were sent as they were pre-filled.
    values = SubmissionValue.objects.filter(submission__campaign=campaign)
    assert values.exists()
    assert not [v for v in values if v.value != v.registry_value or v.source != "registry"]
    # One school was returned once and sent again: its history keeps every step.
    returned = [s for s in submissions if s.events.filter(to_status=S.RETURNED).exists()]
    assert len(returned) == 1
    assert [(e.from_status, e.to_status) for e in returned[0].events.all()] == [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.RETURNED),
        (S.RETURNED, S.SUBMITTED),
        (S.SUBMITTED, S.ACCEPTED),
    ]


# ---------------------------------------------------------------- seed 003: Smolensk


def test_smolensk_readiness_monitoring_228_of_340(demo):
    g = golden("seed_003_smolensk_monitoring.json")["readiness"]
    campaign = regional_campaign(g["period"])
    assert campaign.is_regional and campaign.created_by == user("operator")
    assert campaign.status == Campaign.Status.PUBLISHED
    result = selectors.completeness(campaign)
    assert result.total.text == printed(g["published"])
    assert (result.total.expected, result.total.submitted, result.total.accepted) == (
        g["expected"],
        g["submitted"],
        g["submitted"],
    )
    assert result.total.on_time == g["submitted"] and result.total.late == 0
    assert sum(row.expected for row in result.by_municipality) == g["expected"]
    assert len(result.by_municipality) == Municipality.objects.filter(region=region()).count()
    # The 112 missing schools, each with its curator to remind.
    assert len(result.missing) == g["missing"]
    assert all(m.status == S.DRAFT and m.curators for m in result.missing)
    assert all(c.email for m in result.missing for c in m.curators if m.code != CURATOR_SCHOOL_CODE)
    report = selectors.indicator_report(campaign)
    assert report.total.values["R6"].text() == printed(g["published"])


def test_smolensk_site_check_254_of_340_over_all_targets(demo):
    g = golden("seed_003_smolensk_monitoring.json")["site_check"]
    campaign = regional_campaign(g["period"])
    assert campaign.method == Campaign.Method.SITE_CHECK
    indicator = campaign.indicators.get(code=g["indicator"])
    assert indicator.denominator_basis == g["denominator_basis"]
    report = selectors.indicator_report(campaign)
    value = report.total.values[g["indicator"]]
    assert (value.numerator, value.denominator) == (g["count"], g["of"])
    assert value.text() == printed(g["published"])
    # Every municipality's denominator is all its target schools.
    assert all(row.values[g["indicator"]].denominator == row.expected for row in report.municipalities)
    assert selectors.completeness(campaign).total.submitted == g["checked"]
    # The «да» come from the registry's documents on the sites (with their link), the «нет» from the schools.
    answers = SubmissionValue.objects.filter(submission__campaign=campaign, figure="regulation_on_site")
    yes = answers.filter(value=1)
    assert yes.count() == g["count"]
    assert not yes.exclude(source="registry").exists() and not yes.filter(url="").exists()
    no = answers.filter(value=0)
    assert no.count() == g["of"] - g["count"]
    assert not no.exclude(source="entered").exists() and not no.exclude(registry_value=None).exists()
    with_doc, schools = registry_selectors.organizations_with_document(
        scope=region(), doc_type="regulation", as_of=campaign.as_of_date
    )
    assert (with_doc, schools) == (g["count"], g["of"])


def test_smolensk_road_map_by_direction(demo):
    g = golden("seed_003_smolensk_monitoring.json")
    roadmap = RoadMap.objects.get(region=region(), level=RoadMap.Level.REGION, basis_number="933-ОД")
    execution = selectors.roadmap_execution(roadmap)
    assert [(d.split(".")[0], e.planned) for d, e in execution.by_direction] == [
        tuple(row) for row in g["roadmap_directions"]
    ]
    monitoring = roadmap.events.get(number="2.1")
    assert "228" in monitoring.result and "67 %" in monitoring.result
    assert (monitoring.timing_start, monitoring.timing_end) == (
        datetime.date(2022, 12, 16),
        datetime.date(2022, 12, 25),
    )
    assert roadmap.events.get(number="3.4", direction__startswith="Направление 3").timing_start is None


# ---------------------------------------------------------------- seed 000: Bryansk


def test_bryansk_road_map_execution_by_month(demo):
    g = golden("seed_000_bryansk.json")
    roadmap = RoadMap.objects.get(region=region(), level=RoadMap.Level.REGION, title__contains="низкими")
    assert list(roadmap.events.values_list("timing_text", flat=True)) == g["timings"]
    execution = selectors.roadmap_execution(roadmap)
    assert (execution.total.planned, execution.total.done) == (g["events"], g["done"])
    assert [(f"{month:%m.%Y}", e.planned, e.done) for month, e in execution.by_month] == [
        (month, n, n) for month, n in g["by_month"]
    ]
    assert [e.planned for _, e in execution.by_responsible] == g["events_per_responsible"]
    assert not roadmap.events.exclude(status=RoadMapEvent.Status.DONE).exists()


# ---------------------------------------------------------------- today: an open campaign


def current_campaign():
    return Campaign.objects.get(municipality__code="M01", status=Campaign.Status.OPEN)


def test_the_demo_curator_has_a_submission_to_fill_today(demo):
    campaign = current_campaign()
    curator = user("curator")
    assert campaign.created_by == user("coordinator")
    today = timezone.localdate()
    assert campaign.deadline > today and school_year_of(campaign.as_of_date) == school_year_of(today)
    assert campaign in selectors.campaigns_for(curator)
    submission = campaign.submissions.get(organization__code=CURATOR_SCHOOL_CODE)
    assert submission.status == S.DRAFT and access.can_write(curator, submission, rights.FILL)
    figures = selectors.submission_figures(submission)
    assert any(f.source == "registry" and f.value is not None for f in figures)
    # Others have moved on: the coordinator sees sent, accepted, returned and missing schools.
    statuses = set(campaign.submissions.values_list("status", flat=True))
    assert statuses == {S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.RETURNED}
    # And the curator can send it today, on time.
    sent = svc.submission_submit(user=curator, submission=submission)
    assert sent.status == S.SUBMITTED and sent.on_time is True


def test_a_later_run_keeps_the_current_campaign_open(demo):
    campaign = current_campaign()
    later = campaign.deadline + DAY
    if school_year_of(later) != school_year_of(campaign.as_of_date):
        pytest.skip(
            "the deadline is the school year's last fortnight: a later run opens next year's campaign"
        )
    MonitoringDemo(today=later).build()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN
    assert campaign.deadline == later + 14 * DAY and campaign.period_end >= campaign.deadline
    assert Campaign.objects.filter(municipality__code="M01", status=Campaign.Status.OPEN).count() == 1


# ---------------------------------------------------------------- today: the finished survey rounds


def test_the_demo_survey_rounds_are_finished_and_fill_f5_f6(demo, client):
    """This school year's two rounds over Oktyabrsky, closed: the response rate and the satisfaction
    question's 4–5 share as the round's page prints them, and the current campaign's F5 and F6
    pre-filled from them (the seeds' campaigns have no F5 or F6: their figures are unchanged)."""
    rounds = SurveyRound.objects.filter(municipality__code="M01").select_related("questionnaire")
    assert {(r.questionnaire.audience, r.status) for r in rounds} == {
        ("mentees", SurveyRound.Status.CLOSED),
        ("mentors", SurveyRound.Status.CLOSED),
    }
    client.force_login(user("operator"))
    printed_rates = {
        "mentees": ("Ответили 180 из 216 (83\xa0%)", "4,1; 4–5: 80\xa0%"),
        "mentors": ("Ответили 141 из 169 (83\xa0%)", "4,1; 4–5: 80\xa0%"),
    }
    for survey_round in rounds:
        body = client.get(reverse("monitoring:survey-round-detail", args=[survey_round.pk])).content.decode()
        rate, satisfaction = printed_rates[survey_round.questionnaire.audience]
        assert f'data-figure="rate">{rate}<' in body
        question = survey_round.questionnaire.questions.get(counts_satisfaction=True)
        total = body.split('data-level="region"')[1]
        assert f'data-question="{question.pk}">{satisfaction}<' in total
    campaign = current_campaign()
    assert {"F5", "F6"} <= set(campaign.indicators.values_list("code", flat=True))
    prefilled = {
        figure: sum(
            SubmissionValue.objects.filter(submission__campaign=campaign, figure=figure).values_list(
                "value", flat=True
            )
        )
        for figure in ("mentees_satisfied", "mentees_surveyed", "mentors_satisfied", "mentors_surveyed")
    }
    assert prefilled == {
        "mentees_satisfied": 144,
        "mentees_surveyed": 180,
        "mentors_satisfied": 113,
        "mentors_surveyed": 141,
    }
    assert Value(144, 180).share() == f"80{NBSP}%"  # F5 over the district
    assert Value(113, 141).share() == f"80,1{NBSP}%"  # F6
    for seeded in (oktyabrsky_campaign(), *Campaign.objects.exclude(pk=campaign.pk)):
        assert not seeded.indicators.filter(code__in=["F5", "F6"]).exists()


# ---------------------------------------------------------------- idempotence


def monitoring_counts() -> dict:
    models = [
        *apps.get_app_config("monitoring").get_models(include_auto_created=True),
        *apps.get_app_config("reports").get_models(include_auto_created=True),  # the four demo drafts
    ]
    counts = {m._meta.label: m._default_manager.count() for m in models}
    counts["users"] = get_user_model().objects.count()
    counts["scopes"] = UserScope.objects.count()
    return counts


def test_a_second_seed_demo_changes_nothing_in_monitoring(demo):
    before = monitoring_counts()
    assert before["monitoring.Campaign"] == 4 and before["monitoring.RoadMap"] == 3  # seeds 000, 003, 001
    assert before["reports.Report"] == 4
    statuses = dict(Campaign.objects.values_list("pk", "status"))
    call_command("seed_demo", stdout=io.StringIO())
    assert monitoring_counts() == before
    assert dict(Campaign.objects.values_list("pk", "status")) == statuses
