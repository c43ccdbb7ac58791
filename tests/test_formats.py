import datetime

import pytest

from common.formats import nbsp, parse_ru_date, percent, ru_date, share, share_of, years


@pytest.mark.parametrize(
    "numerator, denominator, digits, text",
    [
        (30, 410, 1, "7,3\xa0%"),
        (107, 410, 1, "26,1\xa0%"),
        (900, 5000, 1, "18\xa0%"),
        (1270, 5000, 1, "25,4\xa0%"),
        (30, 30, 1, "100\xa0%"),
        (228, 340, 0, "67\xa0%"),
        (254, 340, 0, "75\xa0%"),
        (1, 8, 1, "12,5\xa0%"),  # half up, as people round, not to even
        (0, 0, 1, "—"),
    ],
)
def test_share(numerator, denominator, digits, text):
    assert share(numerator, denominator, digits) == text


def test_share_of_and_percent():
    assert share_of(228, 340) == "228 из 340, 67\xa0%"
    assert str(percent(228, 340, 2)) == "67.06"


def test_dates():
    assert ru_date(datetime.date(2022, 12, 16)) == "16.12.2022"
    assert parse_ru_date(" 30.12.2022 ") == datetime.date(2022, 12, 30)
    with pytest.raises(ValueError, match="«31.02.2022» не дата: ожидается ДД.ММ.ГГГГ"):
        parse_ru_date("31.02.2022")


@pytest.mark.parametrize(
    "text, shown",
    [
        ("МБОУ «СОШ № 5»", "МБОУ «СОШ №\xa05»"),
        ("СОШ №  12 и 7 %", "СОШ №\xa012 и 7\xa0%"),
        ("Школа без номера", "Школа без номера"),
        (None, ""),
    ],
)
def test_nbsp_keeps_number_sign_and_percent_with_their_figure(text, shown):
    assert nbsp(text) == shown


@pytest.mark.parametrize(
    "n, text",
    [
        (1, "1\xa0год"),
        (2, "2\xa0года"),
        (4, "4\xa0года"),
        (5, "5\xa0лет"),
        (11, "11\xa0лет"),
        (12, "12\xa0лет"),
    ]
    + [(21, "21\xa0год"), (22, "22\xa0года"), (0, "0\xa0лет")],
)
def test_years_with_unit_and_plural(n, text):
    assert years(n) == text


def test_templates_write_no_breaking_space_before_percent_or_after_number_sign():
    """A figure's «%» and a «№» stay with their number in every template (issue 19 §6)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    found = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(?:\d|\}\}|%\}) %(?![}\w])|№ ", text):
            found.append(f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start()) + 1}")
    assert not found, found
