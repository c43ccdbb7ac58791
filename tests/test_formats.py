import datetime

import pytest

from common.formats import parse_ru_date, percent, ru_date, share, share_of


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
