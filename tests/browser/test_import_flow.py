"""«Импорт и экспорт» in a real browser against the portal as it runs: ``manage.py runserver`` and
``manage.py db_worker`` on a fresh database (``tests/stack.py``), every upload through the worker.

Upload → progress → dry run («Будет создано») → confirm → progress → «загружен» («Создано»),
then a workbook with a mistake: the located Russian message, nothing written. The worker is
stopped while a job waits, so the progress bar is seen whatever the machine's speed, and
started again: the page's script polls the job and reloads when it ends.

Screenshots: in ``tmp_path`` and copied to ``/tmp/import_flow_{preview,done,errors}.png``.
"""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.stack import open_stack, people_workbook

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PASSWORD = "import-flow-Pass-2024"  # noqa: S105 — a throwaway account of a throwaway database
BACKUP_CODE = "80417536"  # the admin's second factor (docs/reliability.md #16), a one-time backup code
WORKER_WAIT = 60_000  # ms: a job the worker runs, page reloads included
PEOPLE = ("registry_region", "registry_municipality", "registry_organization", "registry_person")
SHOT_COPIES = Path("/tmp")


@pytest.fixture
def stack(tmp_path):
    with open_stack(tmp_path) as stack:
        stack.shell(
            "from django.contrib.auth import get_user_model; "
            "from django_otp.plugins.otp_static.models import StaticDevice; "
            f"admin = get_user_model().objects.create_superuser('admin', password={PASSWORD!r}); "
            "device = StaticDevice.objects.create(user=admin, name='backup', confirmed=True); "
            f"device.token_set.create(token={BACKUP_CODE!r})"
        )
        yield stack


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"import_flow_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, SHOT_COPIES / path.name)


def open_workbook_page(page: Page) -> None:
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Импорт и экспорт").click()
    expect(page.locator("h1")).to_have_text("Импорт и экспорт")


def upload(page: Page, path: Path) -> None:
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Проверить файл").click()
    expect(page).to_have_url(re.compile(r"/workbook/imports/[0-9a-f-]{36}/$"))


def expect_waiting(page: Page) -> None:
    """The job is queued: the page shows the progress bar and polls."""
    expect(page.locator("#job-progress")).to_be_visible()
    expect(page.locator("#job-bar")).to_be_visible()
    expect(page.locator("#job-status")).to_have_text("в очереди")


def counts_table(page: Page) -> dict[str, list[str]]:
    table = page.locator("#import-counts")
    expect(table).to_be_visible()
    return {
        "header": [c.strip() for c in table.locator("thead th").all_inner_texts()],
        **{
            row.locator("td").first.inner_text().strip(): [
                c.strip() for c in row.locator("td").all_inner_texts()[1:]
            ]
            for row in table.locator("tbody tr").all()
        },
    }


def test_admin_uploads_checks_confirms_and_sees_the_import_done_then_a_bad_file_refused(
    page, stack, tmp_path
):
    book = people_workbook(
        tmp_path / "школы района.xlsx", municipalities=3, organizations=30, mentors_per_organization=100
    )
    base = stack.start_server()
    empty = stack.counts(PEOPLE)
    assert set(empty.values()) == {0}

    page.goto(base + "/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(base + "/login/code/?next=/")
    page.fill("input[name=otp_token]", BACKUP_CODE)
    page.get_by_role("button", name="Подтвердить").click()
    expect(page).to_have_url(base + "/")
    open_workbook_page(page)

    # Upload: no worker yet, the job waits with its progress bar.
    upload(page, book.path)
    expect(page.locator("h1")).to_have_text("Загрузка «школы района.xlsx»")
    expect_waiting(page)
    expect(page.locator("#import-counts")).to_have_count(0)

    # The worker checks the file; the page reloads on its own into the dry run.
    worker = stack.start_worker()
    expect(page.locator("#job-status")).to_have_text("проверен, ждёт подтверждения", timeout=WORKER_WAIT)
    expect(page.locator("#job-progress")).to_have_count(0)
    assert counts_table(page) == {
        "header": ["Лист", "Будет создано", "Будет обновлено", "Без изменений"],
        "Муниципалитеты": ["3", "0", "0"],
        "Организации": ["30", "0", "0"],
        "Наставники": ["3000", "0", "0"],
    }
    expect(page.locator("#import-errors")).to_have_count(0)
    expect(page.locator("#confirm-import")).to_have_text("Загрузить в реестр")
    shoot(page, tmp_path, "preview")
    assert stack.counts(PEOPLE) == empty, "the dry run wrote nothing"

    # Confirm while the worker is away: the import waits, the bar is back.
    stack.stop(worker)
    page.locator("#confirm-import").click()
    expect_waiting(page)
    expect(page.locator("#confirm-import")).to_have_count(0)

    stack.start_worker()
    expect(page.locator("#job-status")).to_have_text("загружен", timeout=WORKER_WAIT)
    expect(page.locator("#job-progress")).to_have_count(0)
    assert counts_table(page) == {
        "header": ["Лист", "Создано", "Обновлено", "Без изменений"],
        "Муниципалитеты": ["3", "0", "0"],
        "Организации": ["30", "0", "0"],
        "Наставники": ["3000", "0", "0"],
    }
    shoot(page, tmp_path, "done")
    imported = {
        "registry_region": 1,
        "registry_municipality": 3,
        "registry_organization": 30,
        "registry_person": 3000,
    }
    assert stack.counts(PEOPLE) == imported
    assert stack.query(
        "SELECT COUNT(*) FROM registry_person p JOIN registry_organization o ON o.id = p.organization_id "
        "WHERE o.code = %s AND p.full_name = %s",
        ["S0029", "Иванова Мария Петровна"],
    ) == [(3,)]  # mentors 0, 40 and 80 of the workbook's last organization

    # A workbook with an impossible birth date: every error located, nothing written, no confirm.
    bad = people_workbook(
        tmp_path / "с ошибкой.xlsx",
        municipalities=2,
        organizations=3,
        mentors_per_organization=10,
        prefix="E",
        bad_birth_date_at=12,
    )
    open_workbook_page(page)
    recent = page.get_by_role("row").filter(has_text="школы района.xlsx")
    expect(recent).to_contain_text("загружен")
    upload(page, bad.path)
    expect(page.locator("#job-status")).to_have_text("есть ошибки, ничего не записано", timeout=WORKER_WAIT)
    errors = page.locator("#import-errors li")
    expect(errors).to_have_text(
        [
            f"Лист «Наставники», строка {bad.bad_row}, столбец «Дата рождения»: "
            "«31.02.1980» — такой даты нет в календаре"
        ]
    )
    expect(page.get_by_text("Ничего не записано. Исправьте файл и загрузите его снова.")).to_be_visible()
    expect(page.locator("#confirm-import")).to_have_count(0)
    shoot(page, tmp_path, "errors")
    assert stack.counts(PEOPLE) == imported
    assert stack.query("SELECT COUNT(*) FROM registry_organization WHERE code LIKE %s", ["E%"]) == [(0,)]
    assert page.failed_responses == []
