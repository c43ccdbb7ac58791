"""In a real browser: a school curator answers a monitoring campaign.

The coordinator's campaign (R1, R7) is open; the curator logs in, finds it under «Мониторинг»,
opens the submission, sees the registry's figures pre-filled with their source («из реестра на
…»), answers the yes/no question the registry cannot («Положение о наставничестве размещено на
сайте ОО») with its link, sends, and sees «отправлен». Screenshots: /tmp/campaign_submission.png
(the sent submission) and /tmp/shots/campaign-form.png (the filled form).
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from monitoring import campaigns as svc
from monitoring.models import Submission, SubmissionValue
from registry.models import school_year_of
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "campaign-flow-Pass-2026"  # noqa: S105 — a throwaway account of a throwaway database
SCHOOL = "МБОУ «СОШ № 16» Октябрьского района"
LINK = "https://school16.example.ru/nastavnichestvo"


@pytest.fixture
def campaign_data():
    today = timezone.localdate()
    as_of = today - datetime.timedelta(days=3)
    region = f.make_region(name="Демонстрационная область")
    area = f.make_municipality(region=region, name="Октябрьский район")
    school = f.make_organization(municipality=area, full_name=SCHOOL, short_name="СОШ № 16")
    f.make_headcount(organization=school, school_year=school_year_of(as_of), teachers=52, young_specialists=5)
    for _ in range(2):
        f.make_mentorship(organization=school, start_date=as_of - datetime.timedelta(days=30))
    coordinator = f.make_user("coordinator", role="coordinator", municipality=area)
    f.make_user("curator", role="curator", organization=school, password=PASSWORD)
    campaign = svc.campaign_create(
        user=coordinator,
        municipality=area,
        indicators=["R1", "R7"],
        title="Мониторинг реализации «дорожной карты» работы педагогов-наставников",
        basis_number="16",
        basis_date=as_of,
        period_start=as_of,
        period_end=today + datetime.timedelta(days=10),
        as_of_date=as_of,
        deadline=today + datetime.timedelta(days=10),
    )
    campaign = svc.campaign_open(user=coordinator, campaign=campaign)
    return {"campaign": campaign, "school": school, "as_of": as_of}


def log_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", "curator")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(base_url + "/")


def test_curator_answers_a_campaign(campaign_data, live_server, page, shots):
    base = live_server.url
    campaign, as_of = campaign_data["campaign"], campaign_data["as_of"]
    source = f"из реестра на {as_of:%d.%m.%Y}"
    log_in(page, base)

    # «Мониторинг»: the open campaign, the school's submission not sent yet.
    page.goto(base + "/monitoring/campaigns/")
    expect(page.locator("h1")).to_have_text("Мониторинг")
    row = page.locator(f'tr[data-campaign="{campaign.pk}"]')
    expect(row).to_contain_text("не отправлен")
    expect(page.get_by_role("link", name="Новый мониторинг")).to_have_count(0)
    row.get_by_role("link", name=campaign.title).click()
    expect(page.locator("h1")).to_have_text(campaign.title)
    page.get_by_role("link", name="Заполнить отчёт").click()

    # The registry's figures, pre-filled, with their source.
    expect(page.locator("h1")).to_have_text(SCHOOL)
    teachers = page.locator('tr[data-figure="teachers"]')
    expect(teachers.locator("input[name=value-teachers]")).to_have_value("52")
    expect(teachers.locator("td.source")).to_have_text(source)
    mentors = page.locator('tr[data-figure="mentors:teacher_teacher"]')
    expect(mentors.locator("input[type=text]").first).to_have_value("2")
    expect(mentors.locator("td.source")).to_have_text(source)
    regulation = page.locator('tr[data-figure="regulation_on_site"]')
    expect(regulation.locator("td.source")).to_have_text("введено")

    # «да» without its link is refused next to the figure; with the link it is sent.
    regulation.get_by_label("да", exact=True).check()
    page.get_by_role("button", name="Отправить").click()
    expect(regulation.locator(".error")).to_have_text(
        "Положение о наставничестве размещено на сайте ОО: укажите ссылку на страницу сайта."
    )
    expect(regulation.get_by_label("да", exact=True)).to_be_checked()  # the answer is kept
    regulation.locator("input[name=url-regulation_on_site]").fill(LINK)
    page.screenshot(path=str(shots / "campaign-form.png"), full_page=True)
    page.get_by_role("button", name="Отправить").click()

    expect(page.locator(".messages")).to_contain_text("Отчёт отправлен координатору.")
    expect(page.locator('[data-field="status"]')).to_have_text("отправлен")
    sent = page.locator('tr[data-figure="regulation_on_site"]')
    expect(sent.locator("td.value")).to_have_text("да")
    expect(sent.get_by_role("link", name=LINK)).to_be_visible()
    expect(page.locator('tr[data-figure="teachers"] td.source')).to_have_text(source)
    expect(page.locator('[data-table="history"]')).to_contain_text("не отправлен → отправлен")
    expect(page.get_by_role("link", name="Заполнить отчёт")).to_have_count(0)
    page.screenshot(path="/tmp/campaign_submission.png", full_page=True)
    assert page.failed_responses == []  # a refusal re-shows the form (200), it is not an error page

    submission = Submission.objects.get(campaign=campaign, organization=campaign_data["school"])
    assert (submission.status, submission.on_time) == (Submission.Status.SUBMITTED, True)
    answer = SubmissionValue.objects.get(submission=submission, figure="regulation_on_site")
    assert (answer.value, answer.url, answer.source) == (1, LINK, "entered")
