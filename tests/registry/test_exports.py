import datetime
import io

from openpyxl import load_workbook

from registry.export_jobs import xlsx_response
from registry.exports import safe_cell, workbook_bytes


def test_text_that_looks_like_a_formula_is_written_as_text():
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+7 900") == "'+7 900"
    assert safe_cell("@cmd") == "'@cmd"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("Иванова") == "Иванова"
    assert safe_cell(-1) == -1
    assert safe_cell(True) == "да"


def test_workbook_has_title_watermark_header_and_rows(django_user_model, db):
    user = django_user_model.objects.create_user("exporter")
    content = workbook_bytes(
        title="Наставники", columns=["ФИО", "Дата"], rows=[["=1+1", datetime.date(2022, 12, 16)]], user=user
    )
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Наставники"
    assert rows[1][0].startswith("Выгрузил: exporter, ")
    assert rows[3] == ("ФИО", "Дата")
    assert rows[4][0] == "'=1+1"
    assert rows[4][1] == datetime.datetime(2022, 12, 16)
    assert sheet.cell(row=5, column=2).number_format == "DD.MM.YYYY"
    assert sheet.cell(row=5, column=1).data_type == "s"


def test_response_is_private_and_named_in_russian(django_user_model, db):
    user = django_user_model.objects.create_user("exporter")
    response = xlsx_response(
        filename="Наставники.xlsx", title="Наставники", columns=["ФИО"], rows=[], user=user
    )
    assert response["Cache-Control"] == "private, no-store"
    assert "filename*=utf-8''%D0%9D%D0%B0" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")


def test_a_title_with_characters_excel_refuses_in_sheet_names_still_exports():
    import io

    import openpyxl

    from registry.exports import workbook_bytes

    content = workbook_bytes(title="Мониторинг: итоги [2022/2023]?", columns=["A"], rows=[["x"]])
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Мониторинг  итоги  2022 2023"]
    assert book.active["A1"].value == "Мониторинг: итоги [2022/2023]?"
