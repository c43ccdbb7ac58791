"""End to end: a school curator's year in a real browser, on the demo region.

The demo ``curator`` (password «demo») adds a mentor and a mentee through the menu, forms a
«учитель – учитель» pair of them, sees the dashboard count it, then completes it. Every step
is checked on the page and in the registry, and photographed into /tmp/shots/curator-year-*.png.
Both tests share one seeded demo region and its live server (``demo``, tests/browser/conftest.py):
each compares the counts after its steps with those it found, and names its own people.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from registry import selectors
from registry.demo import CURATOR_SCHOOL_CODE, PASSWORD
from registry.models import BaseMembership, Category, Mentorship, MentorshipLink, Organization, Person
from registry.people import STUDENT_TOO_YOUNG

from .conftest import PHONE

# serialized_rollback: the migrated state is kept, for ``demo_site`` to restore (tests/browser/conftest.py)
pytestmark = [pytest.mark.browser, pytest.mark.django_db(serialized_rollback=True)]

CURATOR_SCHOOL = "МБОУ «СОШ № 16» Октябрьского района"
FIGURES = ("mentors", "mentees", "mentorships")
TEACHER_TEACHER = "учитель – учитель"
MENTOR = "Беляева Ирина Викторовна"
MENTEE = "Журавлёв Денис Олегович"
RESULT = "Аттестован на первую квалификационную категорию, провёл открытый урок."
REQUIRED = "Обязательное поле."


def shot(page: Page, shots, name: str) -> None:
    page.screenshot(path=str(shots / f"curator-year-{name}.png"), full_page=True)


def ddmmyyyy(day: datetime.date) -> str:
    return day.strftime("%d.%m.%Y")


def log_in(page: Page, base_url: str, username: str = "curator") -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(base_url + "/")
    expect(page.locator("h1")).to_have_text(CURATOR_SCHOOL)


def menu(page: Page, item: str) -> None:
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name=item, exact=True).click()


def figure(page: Page, name: str) -> int:
    text = page.locator(f'[data-figure="{name}"]').inner_text().strip()
    assert re.fullmatch(r"\d+", text), f"figure {name!r} is not a number: {text!r}"
    return int(text)


def form_row(page: Page, form_name: str = TEACHER_TEACHER) -> tuple[int, int, int] | None:
    """Mentors, mentees and pairs of one form in the dashboard's «По формам наставничества» table."""
    rows = page.locator("table#forms tbody tr").filter(
        has=page.get_by_role("cell", name=form_name, exact=True)
    )
    if rows.count() == 0:
        return None
    assert rows.count() == 1, f"«{form_name}» is shown {rows.count()} times"
    cells = rows.locator("td").all_inner_texts()
    assert len(cells) == 4 and all(re.fullmatch(r"\d+", c.strip()) for c in cells[1:]), cells
    return tuple(int(c) for c in cells[1:])


def dashboard_figures(page: Page, school: Organization, today: datetime.date) -> dict:
    """The tiles and the «учитель – учитель» row, checked against the registry's selectors."""
    expect(page.locator("h1")).to_have_text(CURATOR_SCHOOL)
    expect(page.locator("main .muted").first).to_contain_text(f"данные на {ddmmyyyy(today)}")
    shown = {name: figure(page, name) for name in FIGURES}
    totals = selectors.totals(scope=school, as_of=today, active_only=True)
    assert shown == {name: getattr(totals, name) for name in FIGURES}, (shown, totals)
    row = form_row(page)
    counts = selectors.form_counts(scope=school, as_of=today, active_only=True).get("teacher_teacher")
    expected = (counts.mentors, counts.mentees, counts.mentorships) if counts else None
    assert row == expected, f"«{TEACHER_TEACHER}» row: page {row}, registry {expected}"
    return {**shown, "row": row or (0, 0, 0)}


def field_error(page: Page, control_id: str):
    """The error text(s) inside the same ``.field`` block as the control ``#control_id``."""
    block = page.locator(".field.has-error").filter(has=page.locator(f"#{control_id}"))
    expect(block).to_have_count(1)
    return block.locator(".error")


def choose_form(page: Page, form_name: str = TEACHER_TEACHER) -> None:
    """Pick the form of mentoring; mentorship_form.js posts the form back to offer its participants."""
    # The script hides the «Показать участников…» button once it listens for the change.
    expect(page.locator("[data-reload-button]")).to_be_hidden()
    with page.expect_navigation():
        page.get_by_label("Форма наставничества").select_option(label=form_name)
    expect(page.get_by_label("Форма наставничества")).to_have_value(re.compile(r"\S"))


def labelled(page: Page, label: str):
    """The control labelled exactly ``label``; a required field's label ends with «*»."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def add_person(page: Page, shots, *, step: str, values: dict, checkbox: str | None, request: str = ""):
    for label, value in values.items():
        control = labelled(page, label)
        if label == "Категория":
            control.select_option(label=value)
        else:
            control.fill(value)
    # 152-ФЗ: the consent's date (the text version is preselected; adults consent for themselves).
    labelled(page, "Дата согласия на обработку персональных данных").fill("2024-09-02")
    if checkbox:
        labelled(page, checkbox).check()
    if request:
        labelled(page, "Запрос наставляемого").fill(request)
    shot(page, shots, f"{step}-form")
    page.get_by_role("button", name="Сохранить").click()


def test_curator_adds_a_mentor_and_a_mentee_forms_a_pair_and_completes_it(demo, new_page, shots):
    base = demo.url
    today = timezone.localdate()
    school = Organization.objects.get(code=CURATOR_SCHOOL_CODE)
    page = new_page()

    # 1. The dashboard before: the tiles and the «учитель – учитель» row.
    log_in(page, base)
    before = dashboard_figures(page, school, today)
    assert before["mentors"] > 0 and before["mentorships"] > 0, before
    shot(page, shots, "01-dashboard-before")

    # 2. «Наставники» → «Добавить наставника»: a teacher with 12 years of experience, trained as mentor.
    menu(page, "Наставники")
    expect(page).to_have_url(base + "/mentors/")
    expect(page.locator("h1")).to_have_text("Наставники")
    page.get_by_role("link", name="Добавить наставника").click()
    expect(page).to_have_url(base + "/people/new/?base=mentors")
    expect(page.locator("h1")).to_have_text("Добавить наставника")
    expect(page.get_by_label("Организация", exact=True)).to_have_count(
        0
    )  # a curator adds to his own school only
    add_person(
        page,
        shots,
        step="02-mentor",
        values={
            "ФИО": MENTOR,
            "Дата рождения": "1986-03-14",
            "Категория": "педагог",
            "Должность": "Учитель математики",
            "Предмет": "Математика",
            "Педагогический стаж, лет": "12",
        },
        checkbox="Обучен как наставник",
    )
    expect(page).to_have_url(re.compile(r"/people/[0-9a-f-]{36}/$"))
    expect(page.locator("ul.messages")).to_contain_text(f"«{MENTOR}» добавлен(а) в базу наставников")
    expect(page.locator("h1")).to_have_text(MENTOR)
    card = page.locator("dl.card")
    expect(card).to_contain_text("14.03.1986")
    expect(
        card.locator("dt", has_text="Педагогический стаж").locator("xpath=following-sibling::dd[1]")
    ).to_have_text("12 лет")
    expect(page.locator("table.figures").first).to_contain_text("обучен как наставник")
    mentor = Person.objects.get(full_name=MENTOR)
    assert page.url == f"{base}/people/{mentor.pk}/"
    assert (mentor.organization_id, mentor.category, mentor.teaching_experience) == (
        school.pk,
        Category.TEACHER,
        12,
    )
    membership = mentor.base_memberships.get()
    assert (membership.base, membership.trained_as_mentor, membership.included_on) == (
        BaseMembership.Base.MENTORS,
        True,
        today,
    )
    shot(page, shots, "03-mentor-card")

    # 3. «Наставляемые» → «Добавить наставляемого»: a young teacher with 1 year of experience.
    menu(page, "Наставляемые")
    expect(page).to_have_url(base + "/mentees/")
    page.get_by_role("link", name="Добавить наставляемого").click()
    expect(page).to_have_url(base + "/people/new/?base=mentees")
    expect(page.get_by_label("Обучен как наставник")).to_have_count(0)
    add_person(
        page,
        shots,
        step="04-mentee",
        values={
            "ФИО": MENTEE,
            "Дата рождения": "2001-06-02",
            "Категория": "педагог",
            "Должность": "Учитель информатики",
            "Предмет": "Информатика",
            "Педагогический стаж, лет": "1",
        },
        checkbox=None,
        request="Подготовка к аттестации, дисциплина на уроках.",
    )
    expect(page.locator("ul.messages")).to_contain_text(f"«{MENTEE}» добавлен(а) в базу наставляемых")
    expect(page.locator("h1")).to_have_text(MENTEE)
    expect(page.locator("dl.card .tag")).to_have_text("молодой специалист")
    expect(page.locator("dl.card")).to_contain_text("02.06.2001")
    mentee = Person.objects.get(full_name=MENTEE)
    assert page.url == f"{base}/people/{mentee.pk}/"
    assert mentee.is_young_specialist and mentee.organization_id == school.pk
    assert mentee.base_memberships.get().base == BaseMembership.Base.MENTEES
    shot(page, shots, "05-mentee-card")

    # 4. «Наставнические пары» → the pair form; the participants follow the chosen form.
    pairs_before = Mentorship.objects.count()
    menu(page, "Наставнические пары")
    expect(page).to_have_url(base + "/pairs/")
    page.get_by_role("link", name="Добавить пару или группу").click()
    expect(page).to_have_url(base + "/pairs/new/")
    expect(page.locator("h1")).to_have_text("Новая пара или группа")
    # mentorship_form.js hides the «Показать участников…» button and reloads on change instead
    expect(page.locator("[data-reload-button]")).to_be_hidden()
    mentor_select = page.get_by_label("Наставник", exact=True)
    mentees_box = page.locator("#field-mentees")
    expect(mentor_select.locator("option")).to_have_count(1)  # the empty choice only, until a form is chosen
    expect(mentees_box).to_contain_text("Сначала выберите форму наставничества.")
    shot(page, shots, "06-pair-form-empty")
    choose_form(page)
    expect(page).to_have_url(base + "/pairs/new/")
    expect(page.get_by_label("Форма наставничества")).to_have_value("teacher_teacher")
    # the reload saved nothing
    assert Mentorship.objects.count() == pairs_before
    mentor_option = mentor_select.locator("option", has_text=MENTOR)
    expect(mentor_option).to_have_count(1)
    assert mentor_option.get_attribute("value") == str(mentor.pk)
    # only teachers and heads may mentor, only teachers be mentored in «учитель – учитель»
    for label in mentor_select.locator("option").all_inner_texts()[1:]:
        assert re.search(r" — (педагог|руководитель)\b", label), label
    mentee_labels = mentees_box.locator("label").all_inner_texts()
    assert mentee_labels and all(" — педагог" in label for label in mentee_labels), mentee_labels
    mentor_select.select_option(str(mentor.pk))
    mentees_box.get_by_role("checkbox", name=MENTEE).check()
    page.get_by_label("Дата начала").fill(today.isoformat())
    status = page.get_by_label("Статус", exact=True)
    offered = status.locator("option").all_inner_texts()
    activate_later = "действует" not in offered
    status.select_option(label="черновик" if activate_later else "действует")
    shot(page, shots, "07-pair-form-filled")

    # the same form at phone width: no sideways scroll
    phone = new_page(viewport=PHONE)
    log_in(phone, base)
    phone.goto(base + "/pairs/new/")
    choose_form(phone)
    expect(phone.get_by_label("Наставник", exact=True).locator("option", has_text=MENTOR)).to_have_count(1)
    phone.screenshot(path=str(shots / "curator-year-07-pair-form-phone.png"), full_page=True)
    scroll, inner = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner + 1, f"the pair form scrolls sideways at {inner}px: {scroll}"
    assert phone.failed_responses == []

    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(re.compile(r"/pairs/[0-9a-f-]{36}/$"))
    expect(page.locator("ul.messages")).to_contain_text("Наставническая пара сохранена.")
    pair = Mentorship.objects.get(mentor_person=mentor)
    if activate_later:
        page.get_by_role("button", name="Начать: перевести в «действует»").click()
        expect(page.locator("ul.messages")).to_contain_text("Пара переведена в статус «действует».")

    # 5. The pair page.
    assert page.url == f"{base}/pairs/{pair.pk}/"
    expect(page.locator("h1")).to_have_text(f"{TEACHER_TEACHER}: {MENTOR}")
    expect(page.locator(".pair-head .status")).to_have_text("действует")
    pair_card = page.locator("dl.card")

    def card_value(label: str):
        return pair_card.locator("dt", has_text=re.compile(f"^{label}$")).locator(
            "xpath=following-sibling::dd[1]"
        )

    expect(card_value("Организация")).to_have_text(str(school))
    expect(card_value("Форма наставничества")).to_have_text(TEACHER_TEACHER)
    expect(card_value("Наставляемый")).to_have_text(MENTEE)
    expect(card_value("Дата начала")).to_have_text(ddmmyyyy(today))
    expect(card_value("Дата окончания")).to_have_text("—")
    expect(card_value("Результат")).to_have_text("—")
    expect(page.get_by_role("link", name="Завершить")).to_be_visible()
    pair.refresh_from_db()
    assert (pair.status, pair.start_date, pair.organization_id) == (
        Mentorship.Status.ACTIVE,
        today,
        school.pk,
    )
    assert list(pair.links.values_list("mentee_person", flat=True)) == [mentee.pk]
    shot(page, shots, "08-pair-active")

    # 6. The dashboard: exactly one more mentor, mentee and pair, in the tiles and in the row.
    page.get_by_role("link", name="Наставничество", exact=True).click()
    expect(page).to_have_url(base + "/")
    active = dashboard_figures(page, school, today)
    assert active == {
        "mentors": before["mentors"] + 1,
        "mentees": before["mentees"] + 1,
        "mentorships": before["mentorships"] + 1,
        "row": tuple(n + 1 for n in before["row"]),
    }, (before, active)
    shot(page, shots, "09-dashboard-active")

    # 7. Complete the pair: result, goal reached, end date today.
    page.goto(f"{base}/pairs/{pair.pk}/")
    page.get_by_role("link", name="Завершить").click()
    expect(page).to_have_url(f"{base}/pairs/{pair.pk}/complete/")
    expect(page.locator("h1")).to_have_text("Завершение пары")
    end_date = page.get_by_label("Дата окончания")
    expect(end_date).to_have_value(today.isoformat())  # offered as today
    end_date.fill(today.isoformat())
    page.get_by_label("Цель достигнута").select_option(label="да")
    page.get_by_label("Результат").fill(RESULT)
    shot(page, shots, "10-complete-form")
    page.get_by_role("button", name="Завершить").click()
    expect(page).to_have_url(f"{base}/pairs/{pair.pk}/")
    expect(page.locator("ul.messages")).to_contain_text("Пара переведена в статус «завершена».")
    expect(page.locator(".pair-head .status")).to_have_text("завершена")
    expect(card_value("Дата окончания")).to_have_text(ddmmyyyy(today))
    expect(card_value("Результат")).to_have_text(RESULT)
    expect(card_value("Результативность")).to_have_text("задач плана не было, цель достигнута")
    expect(page.get_by_role("link", name="Завершить")).to_have_count(0)
    pair.refresh_from_db()
    assert (pair.status, pair.end_date) == (Mentorship.Status.COMPLETED, today)
    assert (pair.result, pair.goal_reached) == (RESULT, "yes")
    shot(page, shots, "11-pair-completed")

    # 8. The dashboard after completion: it shows pairs in status «действует», like the lists its
    # figures link to, so the completed pair has left it at once. Reports still count it for today
    # by the as-of rule (docs/domain.md §4: it did not end *before* today), and not from tomorrow on.
    page.get_by_role("link", name="Наставничество", exact=True).click()
    assert dashboard_figures(page, school, today) == before
    assert selectors.totals(scope=school, as_of=today).mentorships == active["mentorships"]
    tomorrow = selectors.totals(scope=school, as_of=today + datetime.timedelta(days=1))
    assert tomorrow.mentorships == before["mentorships"], "the completed pair should not count tomorrow"
    assert not MentorshipLink.objects.filter(mentorship=pair).exclude(status=Mentorship.Status.COMPLETED)
    shot(page, shots, "12-dashboard-after-completion")
    assert page.failed_responses == []


def test_form_errors_are_shown_in_russian_next_to_the_field_and_nothing_is_created(demo, page, shots):
    base = demo.url
    today = timezone.localdate()
    log_in(page, base)
    people, memberships, pairs = (
        Person.objects.count(),
        BaseMembership.objects.count(),
        Mentorship.objects.count(),
    )

    # A pupil of 8 in the base of mentees: refused next to «Дата рождения», values kept.
    menu(page, "Наставляемые")
    page.get_by_role("link", name="Добавить наставляемого").click()
    pupil = "Синицына Алиса Романовна"
    labelled(page, "ФИО").fill(pupil)
    labelled(page, "Дата рождения").fill(datetime.date(today.year - 8, 1, 1).isoformat())
    labelled(page, "Категория").select_option(label="обучающийся")
    labelled(page, "Класс").fill("2А")
    labelled(page, "Дата согласия на обработку персональных данных").fill("2024-09-02")
    labelled(page, "Законный представитель, давший согласие").fill("Синицына Ольга Петровна")
    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(base + "/people/new/?base=mentees")
    expect(field_error(page, "id_birth_date")).to_have_text(STUDENT_TOO_YOUNG)
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator("ul.messages")).to_have_count(0)
    expect(labelled(page, "ФИО")).to_have_value(pupil)
    shot(page, shots, "13-error-pupil-too-young")
    assert not Person.objects.filter(full_name=pupil).exists()
    menu(page, "Наставляемые")
    page.locator("main").get_by_role("searchbox").fill("Синицына")
    page.locator("main").get_by_role("button", name="Найти").click()
    expect(page.locator("[data-count]")).to_have_text("0")

    # A pair without a mentee: «Обязательное поле.» under «Наставляемый», nothing saved.
    menu(page, "Наставнические пары")
    page.get_by_role("link", name="Добавить пару или группу").click()
    choose_form(page)
    mentor_select = page.get_by_label("Наставник", exact=True)
    mentor_value = mentor_select.locator("option").nth(1).get_attribute("value")
    mentor_select.select_option(mentor_value)
    page.get_by_label("Дата начала").fill(today.isoformat())
    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(base + "/pairs/new/")
    errors = page.locator("#field-mentees.has-error .error")
    expect(errors).to_have_text(REQUIRED)
    expect(page.locator(".field.has-error")).to_have_count(1)
    # the other values are kept for the second try
    expect(mentor_select).to_have_value(mentor_value)
    expect(page.get_by_label("Дата начала")).to_have_value(today.isoformat())
    shot(page, shots, "14-error-pair-without-mentee")

    assert (Person.objects.count(), BaseMembership.objects.count(), Mentorship.objects.count()) == (
        people,
        memberships,
        pairs,
    )
    assert page.failed_responses == []


def test_curator_writes_a_plan_records_a_meeting_and_downloads_the_agreement(demo, page, shots, tmp_path):
    """A pair's life as it happens (docs/domain.md §4.1, §4.2): plan → task → meeting → agreement."""
    import subprocess

    from docx import Document

    from registry.models import Meeting, MentoringPlan, PlanItem

    today = timezone.localdate()
    pair = (
        Mentorship.objects.filter(
            organization__code=CURATOR_SCHOOL_CODE,
            status=Mentorship.Status.ACTIVE,
            mentor_person__isnull=False,
            start_date__lte=today,
            plan__isnull=True,
        )
        .select_related("mentor_person")
        .order_by("start_date", "pk")
        .first()
    )
    assert pair is not None, "the demo has an active pair of the curator's school without a plan"
    base = demo.url
    log_in(page, base)
    page.goto(f"{base}/pairs/{pair.pk}/")

    # The plan: deficits, goals, hours.
    page.get_by_role("link", name="Заполнить план").click()
    labelled(page, "Профессиональные дефициты, запрос наставляемого").fill("Дисциплина на уроке")
    labelled(page, "Цели и задачи наставничества").fill("Уверенное ведение уроков в 7 классе")
    labelled(page, "Объём сопровождения, часов").fill("12")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("main")).to_contain_text("Уверенное ведение уроков в 7 классе")
    assert MentoringPlan.objects.get(mentorship=pair).support_hours == 12

    # A task of the plan.
    page.get_by_role("link", name="Добавить задачу").click()
    labelled(page, "Задача").fill("Открытый урок для наставника")
    labelled(page, "Срок").fill((today + datetime.timedelta(days=30)).isoformat())
    labelled(page, "Ожидаемый результат").fill("Самоанализ урока")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("cell", name="Открытый урок для наставника")).to_be_visible()
    task = PlanItem.objects.get(plan__mentorship=pair, task="Открытый урок для наставника")

    # A meeting that touched the task.
    page.get_by_role("link", name="Записать встречу").click()
    labelled(page, "Дата встречи").fill(today.isoformat())
    labelled(page, "Продолжительность, минут").fill("45")
    labelled(page, "Тема").fill("Подготовка открытого урока")
    labelled(page, "О чём договорились").fill("План урока к пятнице")
    page.get_by_label("Открытый урок для наставника").check()
    shot(page, shots, "meeting-form")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("main")).to_contain_text("Подготовка открытого урока")
    meeting = Meeting.objects.get(mentorship=pair, topic="Подготовка открытого урока")
    assert meeting.date == today and list(meeting.plan_items.all()) == [task]
    shot(page, shots, "pair-with-plan-and-meeting")

    # The agreement, as a person would open it: the PDF's text and the DOCX's paragraphs.
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Соглашение (PDF)").click()
    pdf_path = tmp_path / "agreement.pdf"
    pdf.value.save_as(pdf_path)
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "Соглашение о наставничестве" in flat or "СОГЛАШЕНИЕ О НАСТАВНИЧЕСТВЕ" in flat
    assert pair.mentor_person.full_name in flat and "Открытый урок для наставника" in flat
    with page.expect_download() as docx:
        page.get_by_role("link", name="Соглашение (DOCX)").click()
    docx_path = tmp_path / "agreement.docx"
    docx.value.save_as(docx_path)
    document = Document(str(docx_path))
    words = " ".join(
        [p.text for p in document.paragraphs]
        + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    )
    assert pair.mentor_person.full_name in words and "Открытый урок для наставника" in words
    assert page.failed_responses == []
