"""«Отчёты» in a real browser against the portal as it runs: ``manage.py runserver`` and
``manage.py db_worker`` on a fresh database (``tests/stack.py``), as ``test_import_flow`` does.

The operator logs in, opens «Отчёты» from the menu, opens the region's road-map note, edits «Выводы»
and saves, asks for the PDF: a region's report is rendered by the worker, so the file page shows the
progress bar while no worker runs; the worker is started, the page's script reloads it into
«Скачать …», and the downloaded file is a PDF with a Cyrillic name. Then «Опубликовать» opens
«Версия 1» with the edited text.

Screenshots: in ``tmp_path`` and copied to ``/tmp/report_browser_{list,detail,progress,done,version}.png``.
"""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.stack import open_stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PASSWORD = "report-flow-Pass-2026"  # noqa: S105 — a throwaway account of a throwaway database
WORKER_WAIT = 90_000  # ms: the worker picks the job up, renders the PDF, the page reloads
TITLE = "Аналитическая справка по результатам реализации мероприятий регионального плана наставничества"
CONCLUSIONS = "План мероприятий выполнен наполовину: конференция проведена, курсы перенесены на весну."
SHOT_COPIES = Path("/tmp")

SEED = f"""
from django.contrib.auth import get_user_model
from django.utils import timezone
from monitoring.models import RoadMap, RoadMapEvent
from registry.models import Municipality, Region, UserScope
from reports import services
from reports.models import Kind
from reports.sources import resolve

region = Region.objects.create(code="R32", name="Брянская область")
Municipality.objects.create(code="M01", name="Октябрьский район", region=region)
operator = get_user_model().objects.create_user(
    "operator", password={PASSWORD!r}, first_name="Ольга", last_name="Смирнова", email="olga@example.ru"
)
# an address confirmed already: the first login is not sent to «Подтверждение адреса»
UserScope.objects.create(user=operator, role="operator", region=region, email_confirmed_at=timezone.now())
roadmap = RoadMap.objects.create(
    title="Мероприятия регионального плана наставничества",
    level="region",
    region=region,
    basis_number="1205",
    basis_title="Приказ департамента образования",
)
rows = [
    ("1.1", "Региональная конференция «Наставничество: опыт и перспективы»", "Ноябрь 2020 года", "done"),
    ("1.2", "Курсы повышения квалификации кураторов наставничества", "Декабрь 2020 года", "postponed"),
    ("1.3", "Конкурс «Наставник года»", "Март 2021 года", "planned"),
]
for order, (number, title, timing, status) in enumerate(rows):
    RoadMapEvent.objects.create(
        roadmap=roadmap, number=number, title=title, timing_text=timing, status=status,
        responsible="ИРО", goal="Развитие наставничества", expected_result="Проведено", sort_order=order,
    )
report = services.report_create(report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=roadmap), user=operator)
print(report.pk)
"""


@pytest.fixture
def stack(tmp_path):
    with open_stack(tmp_path) as stack:
        stack.report_id = int(stack.shell(SEED).strip())
        yield stack


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"report_browser_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, SHOT_COPIES / path.name)


def test_operator_edits_downloads_and_publishes_a_region_report(page, stack, tmp_path):
    base = stack.start_server()
    report_url = f"{base}/reports/{stack.report_id}/"

    page.goto(base + "/login/")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(base + "/")

    # «Отчёты» from the menu: the draft report of the region.
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Отчёты").click()
    expect(page.locator("h1")).to_have_text("Отчёты")
    row = page.locator(f'tr[data-report="{stack.report_id}"]')
    expect(row).to_contain_text("черновик")
    expect(row).to_contain_text("Брянская область")
    shoot(page, tmp_path, "list")
    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(report_url)
    expect(page.locator("h1").first).to_have_text(TITLE)
    expect(page.get_by_text("файлы формируются в фоне")).to_be_visible()

    # «Выводы» edited and saved: the preview shows the new text.
    conclusions = page.get_by_label("Выводы")
    expect(conclusions).not_to_be_empty()  # the draft written from the figures
    conclusions.fill(CONCLUSIONS)
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page).to_have_url(report_url)
    expect(page.get_by_text("Текст отчёта сохранён.")).to_be_visible()
    expect(page.locator("#report-preview")).to_contain_text(CONCLUSIONS)
    shoot(page, tmp_path, "detail")

    # «Скачать PDF»: no worker yet, the file waits with its progress bar.
    page.get_by_role("button", name="Скачать PDF").click()
    expect(page).to_have_url(re.compile(r"/reports/files/[0-9a-f-]{36}/$"))
    expect(page.locator("#job-status")).to_have_text("в очереди")
    expect(page.locator("#job-bar")).to_be_visible()
    expect(page.locator("#file-download")).to_have_count(0)
    shoot(page, tmp_path, "progress")

    # The worker renders it; the page's script reloads into the download link.
    stack.start_worker()
    expect(page.locator("#job-status")).to_have_text("готов", timeout=WORKER_WAIT)
    expect(page.locator("#job-progress")).to_have_count(0)
    link = page.locator("#file-download")
    expect(link).to_contain_text("Скачать Аналитическая справка")
    shoot(page, tmp_path, "done")
    with page.expect_download() as info:
        link.click()
    download = info.value
    name = download.suggested_filename
    assert name.startswith("Аналитическая справка по результатам реализации мероприятий"), name
    assert name.endswith(".pdf"), name
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF"), content[:20]
    assert stack.query("SELECT status, size FROM reports_reportfile") == [("done", len(content))]

    # «Опубликовать»: version 1 with the edited text.
    page.get_by_role("link", name="← К отчёту").click()
    expect(page).to_have_url(report_url)
    page.get_by_role("button", name="Сохранить и опубликовать…").click()
    expect(page).to_have_url(f"{report_url}publish/")
    expect(page.locator("h1")).to_have_text("Опубликовать отчёт?")
    page.get_by_role("button", name="Опубликовать версию 1").click()
    expect(page).to_have_url(f"{report_url}versions/1/")
    expect(page.get_by_text("Опубликована версия 1")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Версия 1, опубликована \d\d\.\d\d\.\d{4}"))).to_be_visible()
    expect(page.locator("#report-preview")).to_contain_text(CONCLUSIONS)
    shoot(page, tmp_path, "version")
    page.get_by_role("link", name="← К отчёту").click()
    expect(page.locator('tr[data-version="1"]')).to_contain_text("Ольга Смирнова")
    assert page.failed_responses == []
