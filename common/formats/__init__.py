"""How figures are written for people: «67 %», «7,3 %», «228 из 340, 67 %», «16.12.2022».

Django's FORMAT_MODULE_PATH points at this package (``formats/ru/formats.py``) for dates.
"""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\xa0"
# «№ 5» and «67 %» must not break at their space: a name or figure typed with ordinary spaces.
NUMBER_SIGN_SPACE = re.compile(r"№[ \t]+(?=\S)")
PERCENT_SPACE = re.compile(r"(?<=\d)[ \t]+(?=%)")


def percent(numerator: int, denominator: int, digits: int = 1) -> Decimal | None:
    """numerator / denominator × 100, rounded half up as people round; None when undefined."""
    if not denominator:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def share(numerator: int, denominator: int, digits: int = 1) -> str:
    """«7,3 %», «18 %» (a trailing ,0 is dropped), «—» when the denominator is 0."""
    value = percent(numerator, denominator, digits)
    if value is None:
        return "—"
    text = f"{value:f}".replace(".", ",")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return f"{text}{NBSP}%"


def plural(n: int, one: str, few: str, many: str) -> str:
    """«1 организация», «2 организации», «5 организаций»."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def share_of(numerator: int, denominator: int, digits: int = 0) -> str:
    """«228 из 340, 67 %»."""
    return f"{numerator} из {denominator}, {share(numerator, denominator, digits)}"


def nbsp(text) -> str:
    """«СОШ № 5», «12 %» with a non-breaking space, for names and texts shown from data."""
    if text is None:
        return ""
    text = str(text)
    if "№" not in text and "%" not in text:
        return text
    return PERCENT_SPACE.sub(NBSP, NUMBER_SIGN_SPACE.sub("№" + NBSP, text))


def years(n: int) -> str:
    """«1 год», «2 года», «5 лет», «21 год» — a length of service with its unit, never split."""
    return f"{n}{NBSP}{plural(n, 'год', 'года', 'лет')}"


def ru_date(day: datetime.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def parse_ru_date(text: str) -> datetime.date:
    """«30.12.2022» → date; raises ValueError with a Russian message otherwise."""
    try:
        return datetime.datetime.strptime(text.strip(), "%d.%m.%Y").date()
    except ValueError as exc:
        raise ValueError(f"«{text}» не дата: ожидается ДД.ММ.ГГГГ") from exc
