"""«Соглашение о наставничестве»: the pair's agreement as DOCX and PDF, from the pair's card.

The document is one of the report pipeline's (reports.documents blocks, reports.docx, WeasyPrint),
rendered inline; it names the parties, the form, the period, the goal, the plan's tasks and the
signature lines; a pupil's agreement names the legal representative, never the birth date.
"""

import datetime
import io
import re
import subprocess

import docx
import pytest
from django.urls import reverse

from mentoring_portal.models import AccessLogEntry
from registry.models import Category
from reports import agreement
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
END = datetime.date(2023, 5, 31)
MENTOR = "Петрова Анна Сергеевна"
MENTEE = "Иванов Пётр Олегович"
PUPIL = "Сидорова Мария Ивановна"
PARENT = "Сидоров Иван Петрович"
PUPIL_BIRTH = datetime.date(2010, 3, 14)


@pytest.fixture
def pair(school):
    mentor = f.make_person(organization=school, full_name=MENTOR, position="учитель математики")
    mentee = f.make_person(organization=school, full_name=MENTEE, teaching_experience=1)
    pair = f.make_mentorship(
        organization=school,
        mentor_person=mentor,
        mentees=[mentee],
        start_date=START,
        planned_end_date=END,
        goal="Адаптация молодого педагога в коллективе",
    )
    f.make_plan(pair, goals="Самостоятельное ведение уроков")
    f.make_plan_item(
        pair,
        task="Посетить уроки наставника",
        deadline=datetime.date(2022, 10, 1),
        expected_result="Анализ уроков",
    )
    f.make_plan_item(pair, task="Провести открытый урок", deadline=datetime.date(2023, 3, 1))
    return pair


@pytest.fixture
def pupil_pair(school):
    pupil = f.make_person(
        organization=school,
        full_name=PUPIL,
        category=Category.STUDENT,
        birth_date=PUPIL_BIRTH,
        consent_giver=PARENT,
    )
    return f.make_mentorship(
        organization=school,
        mentoring_form=f.form("teacher_student"),
        mentees=[pupil],
        start_date=START,
        planned_end_date=END,
        goal="Подготовка к олимпиаде",
    )


def download(client, pair, fmt):
    response = client.get(reverse(f"reports:agreement-{fmt}", args=[pair.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("attachment;")
    return response


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts += [cell.text for cell in row.cells]
    return "\n".join(texts)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(content)
    result = subprocess.run(  # noqa: S603
        ["pdftotext", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,  # noqa: S607
    )
    # WeasyPrint hyphenates Russian words at line ends («наставниче‐ ства»): join them back.
    text = re.sub(r"[\u2010\u00ad-]\s*\n\s*", "", result.stdout.decode("utf-8"))
    return " ".join(text.split())


EXPECTED = [
    "Соглашение о наставничестве",
    "Образовательная организация:",
    MENTOR,
    MENTEE,
    "учитель – учитель",
    "с 01.09.2022 по 31.05.2023",
    "Адаптация молодого педагога в коллективе",
    "Самостоятельное ведение уроков",
    "Посетить уроки наставника",
    "01.10.2022",
    "Анализ уроков",
    "Провести открытый урок",
    "Подписи сторон",
    "Наставник",
    "Наставляемый",
    "Куратор ОО",
    agreement.SIGNATURE_LINE,
    agreement.DATE_LINE,
]


def test_docx_holds_the_parties_form_period_goal_tasks_and_signature_lines(client_for, curator, pair, school):
    response = download(client_for(curator), pair, "docx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = docx_text(response.content)
    for expected in [*EXPECTED, school.full_name]:
        assert expected in text, expected
    assert "Законный представитель" not in text  # adults sign for themselves


def test_pdf_holds_the_same_russian_text(client_for, curator, pair, school, tmp_path):
    response = download(client_for(curator), pair, "pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    for expected in EXPECTED:
        assert " ".join(expected.split()) in text, expected


def test_a_pupils_agreement_names_the_legal_representative_not_the_birth_date(
    client_for, curator, pupil_pair, tmp_path
):
    client = client_for(curator)
    text = docx_text(download(client, pupil_pair, "docx").content)
    assert PUPIL in text and PARENT in text
    assert "Законный представитель наставляемого" in text
    assert f"{PUPIL_BIRTH:%d.%m.%Y}" not in text and "2010" not in text
    assert "Индивидуальный план наставничества пары не составлен" in text
    pdf = pdf_text(download(client, pupil_pair, "pdf").content, tmp_path)
    assert PARENT in pdf and f"{PUPIL_BIRTH:%d.%m.%Y}" not in pdf


def test_above_the_school_the_pupils_name_and_the_representative_stay_hidden(
    client_for, coordinator, pupil_pair
):
    text = docx_text(download(client_for(coordinator), pupil_pair, "docx").content)
    assert PUPIL not in text and PARENT not in text
    assert "обучающийся" in text


def test_cancelled_tasks_are_left_out(client_for, curator, pair):
    f.make_plan_item(pair, task="Отменённая задача", status="cancelled")
    assert "Отменённая задача" not in docx_text(download(client_for(curator), pair, "docx").content)


def test_another_schools_user_gets_404_and_the_download_is_logged(client_for, curator, other_curator, pair):
    client = client_for(other_curator)
    for fmt in ("docx", "pdf"):
        assert client.get(reverse(f"reports:agreement-{fmt}", args=[pair.pk])).status_code == 404
    client = client_for(curator)
    download(client, pair, "docx")
    entry = AccessLogEntry.objects.order_by("-pk").first()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "download",
        "registry.mentorship",
        str(pair.pk),
    )


def test_the_card_links_both_files(client_for, coordinator, pair):
    body = client_for(coordinator).get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode()
    assert reverse("reports:agreement-docx", args=[pair.pk]) in body
    assert reverse("reports:agreement-pdf", args=[pair.pk]) in body
    assert "Соглашение (DOCX)" in body and "Соглашение (PDF)" in body
    assert "Загрузить подписанное соглашение" not in body  # a reader does not upload
