"""Download file names are cut at a word, keep their extension and are encoded as RFC 5987 asks
(common/downloads.py, issue 19 §6)."""

from urllib.parse import unquote

import pytest

from common.downloads import MAX_FILE_NAME_BYTES, attachment, shorten_file_name

LONG = (
    "Аналитическая справка о результатах мониторинга реализации «дорожной карты» работы "
    "педагогов-наставников общеобразовательных организаций Октябрьского муниципального района "
    "Смоленской области за первое полугодие учебного года"
)


def test_a_short_name_is_kept_as_it_is():
    assert shorten_file_name("Организации.xlsx") == "Организации.xlsx"


@pytest.mark.parametrize("ext", [".xlsx", ".pdf", ".docx"])
def test_a_long_name_is_cut_after_a_whole_word_and_keeps_its_extension(ext):
    name = shorten_file_name(LONG + ext)
    assert len(name.encode()) <= MAX_FILE_NAME_BYTES
    assert name.endswith("…" + ext)
    stem = name[: -len("…" + ext)]
    assert LONG.startswith(stem)
    assert LONG[len(stem)] in " ,", "the cut falls between words"
    assert len(stem) > 80  # not cut more than needed


def test_a_fixed_tail_is_kept_whole():
    name = shorten_file_name(
        LONG + ", версия 2 24.11.2026.pdf", tail=", версия 2 24.11.2026.pdf", max_bytes=120
    )
    assert name.endswith("…, версия 2 24.11.2026.pdf") and len(name.encode()) <= 120


def test_one_endless_word_is_still_cut():
    name = shorten_file_name("Я" * 300 + ".pdf")
    assert (
        name.endswith("…pdf") is False
        and name.endswith("….pdf")
        and len(name.encode()) <= MAX_FILE_NAME_BYTES
    )


def test_the_header_is_rfc_5987_encoded():
    header = attachment(LONG + ".xlsx")
    assert header.startswith("attachment; filename*=utf-8''")
    assert unquote(header.split("''", 1)[1]) == shorten_file_name(LONG + ".xlsx")


def test_a_reports_file_name_is_cut_at_a_word_before_its_version_and_date():
    import datetime

    from reports.render import file_name

    title = LONG.replace("«", "").replace("»", "") + " " + LONG.replace("«", "").replace("»", "")
    name = file_name(title, "pdf", on=datetime.date(2026, 11, 24), version=2)
    assert name.endswith("…, версия 2 24.11.2026.pdf") and len(name.encode()) <= MAX_FILE_NAME_BYTES
    stem = name[: -len("…, версия 2 24.11.2026.pdf")]
    assert title.startswith(stem) and title[len(stem)] in " ,"


@pytest.mark.django_db
def test_an_exported_list_with_a_long_title_is_downloaded_under_a_name_cut_at_a_word(admin_user):
    from registry.export_jobs import xlsx_response

    response = xlsx_response(filename=LONG + ".xlsx", title="Т", columns=["А"], rows=[["1"]], user=admin_user)
    name = unquote(response["Content-Disposition"].split("''", 1)[1])
    assert name == shorten_file_name(LONG + ".xlsx") and name.endswith("….xlsx")
