"""«Сроки» of a road-map event: free text as written, read into a start and an end date where it can be.

What is read (as in the seeds and in common use):

- a date, «16.12.2022»; a range, «16.12.2022-25.12.2022», «27.03 – 04.04.2023», «3.04-28.04.2023»,
  «с 15.06 по 23.06.2023» (a start without its year takes the end's year, or the year before
  when that would put the start after the end); «13.12 2022» (a space for the last dot);
- a month, «Ноябрь 2020 года», «январь 2021 г.», «в мае 2023»; months, «Январь-июнь 2023»,
  «сентябрь–октябрь 2022», «сентябрь 2022 – май 2023»;
- a quarter, «I квартал 2021», «2 кв. 2022»; a half-year, «1 полугодие 2023»;
- a year, «2021 год», «в течение 2021 года»; years, «2022–2024 годы»;
- a school year, «2022/2023 учебный год», «2020-2021 уч. г.» (1 September – 31 August), and months
  of it, «сентябрь – май 2020-2021 учебного года»;
- several of these, «24.01-31.01.2023 21.02-24.03.2023», «Февраль 2023 Апрель 2023»: from the
  earliest start to the latest end.

Nothing is guessed: «по запросу», «ежемесячно», «постоянно», «в течение всего периода», «-»,
a deadline («до 30.12.2022»), an open start («с 01.09.2020»), a misspelt month or an impossible
date give ``(None, None)`` and the text stays as written.
"""

import calendar
import dataclasses
import datetime
import re

NOTHING = (None, None)

MONTHS = {
    1: ("январь", "января", "январе", "янв"),
    2: ("февраль", "февраля", "феврале", "фев", "февр"),
    3: ("март", "марта", "марте", "мар"),
    4: ("апрель", "апреля", "апреле", "апр"),
    5: ("май", "мая", "мае"),
    6: ("июнь", "июня", "июне", "июн"),
    7: ("июль", "июля", "июле", "июл"),
    8: ("август", "августа", "августе", "авг"),
    9: ("сентябрь", "сентября", "сентябре", "сен", "сент"),
    10: ("октябрь", "октября", "октябре", "окт"),
    11: ("ноябрь", "ноября", "ноябре", "ноя", "нояб"),
    12: ("декабрь", "декабря", "декабре", "дек"),
}
MONTH_OF_WORD = {word: month for month, words in MONTHS.items() for word in words}
MONTH_NAMES = {month: words[0] for month, words in MONTHS.items()}

# Words that carry no date of their own: «2021 года», «в течение 2021 г.», «гг.»
FILLERS = {"г", "гг", "год", "года", "году", "годы", "годов", "годах", "в", "течение", "на", "и", "период"}
ORDINALS = {"1": 1, "2": 2, "3": 3, "4": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4}

DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]")
TOKEN = re.compile(
    r"""
    (?P<school_year>(?P<sy1>\d{4})\s*/\s*(?P<sy2>\d{4})(?:\s*(?:учебн[а-я]*|уч\.?))?
        |(?P<sy3>\d{4})\s*-\s*(?P<sy4>\d{4})\s*(?:учебн[а-я]*|уч\.?))
    |(?P<date>(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?:\.\s*|\s+)(?P<y>\d{4})(?!\d|\.\d))
    |(?P<date2>(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>\d{2})(?!\d|\.\d))
    |(?P<partial>(?P<pd>\d{1,2})\.(?P<pm>\d{1,2})(?!\d|\.\d))
    |(?P<year>\d{4})(?!\d|\.\d)
    |(?P<ordinal>[1-4]|iv|i{1,3})(?:\s*-?\s*(?:й|ый|ой|е|ое))?\s*(?P<unit>квартал[а-я]*|кв\.?|полугоди[а-я]*)
    |(?P<word>[а-яa-z]+)\.?
    |(?P<dash>-)
    |(?P<comma>[,;])
    |(?P<dot>\.)
    """,
    re.VERBOSE,
)


@dataclasses.dataclass
class _Item:
    """One reading of a piece of the text: a complete interval, or a day/month still without a year."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    month: int | None = None  # a month without its year
    day: int | None = None  # with ``month``: a day without its year
    school_year: int | None = None  # the item is a school year (its September's year)
    inferred: bool = False  # the year was taken from a later piece of the text

    @property
    def complete(self) -> bool:
        return self.start is not None

    def year_for(self, month: int) -> int:
        """The year a yearless month takes from this (the next complete) item."""
        if self.school_year is not None:
            return self.school_year if month >= 9 else self.school_year + 1
        return self.start.year

    def resolve(self, year: int) -> bool:
        if self.day is not None:
            day = _date(year, self.month, self.day)
            if day is None:
                return False
            self.start = self.end = day
        else:
            self.start, self.end = month_range(year, self.month)
        self.inferred = True
        return True


def month_range(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def month_of(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month: the key events are counted by."""
    return day.replace(day=1)


def month_label(day: datetime.date | None) -> str:
    """«ноябрь 2020» (the nominative name of the month and its year); «без срока» for None."""
    if day is None:
        return "без срока"
    return f"{MONTH_NAMES[day.month]} {day.year}"


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _tokens(text: str) -> list[tuple] | None:
    text = DASHES.sub("-", text.casefold().replace("ё", "е"))
    text = " ".join(text.split())
    tokens = []
    position = 0
    while position < len(text):
        if text[position] == " ":
            position += 1
            continue
        match = TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        kind = match.lastgroup if match.lastgroup in ("dash", "comma", "word", "year") else None
        groups = match.groupdict()
        if groups["school_year"]:
            first = int(groups["sy1"] or groups["sy3"])
            second = int(groups["sy2"] or groups["sy4"])
            if second != first + 1:
                return None
            tokens.append(("school_year", first))
        elif groups["date"] or groups["date2"]:
            if groups["date"]:
                day, month, year = int(groups["d"]), int(groups["m"]), int(groups["y"])
            else:
                day, month, year = int(groups["d2"]), int(groups["m2"]), 2000 + int(groups["y2"])
            value = _date(year, month, day)
            if value is None:
                return None
            tokens.append(("date", value))
        elif groups["partial"]:
            tokens.append(("partial", (int(groups["pd"]), int(groups["pm"]))))
        elif groups["ordinal"]:
            unit = "quarter" if groups["unit"].startswith("кв") else "half"
            tokens.append((unit, ORDINALS[groups["ordinal"]]))
        elif kind == "year":
            tokens.append(("year", int(groups["year"])))
        elif kind == "word":
            word = groups["word"]
            if word in MONTH_OF_WORD:
                tokens.append(("month", MONTH_OF_WORD[word]))
            elif word == "по":
                tokens.append(("dash", None))
            elif word == "с":
                tokens.append(("from", None))
            elif word in ("учебный", "учебного", "учебном"):
                return None  # «учебный год» without the years it names
            elif word not in FILLERS:
                return None
        elif kind == "dash":
            tokens.append(("dash", None))
        elif match.lastgroup == "dot":
            continue
        elif kind == "comma":
            tokens.append(("comma", None))
    return tokens


def _parse_item(tokens: list[tuple], i: int) -> tuple[_Item | None, int]:
    if i >= len(tokens):
        return None, i
    kind, value = tokens[i]
    following = tokens[i + 1] if i + 1 < len(tokens) else (None, None)
    if kind == "date":
        return _Item(value, value), i + 1
    if kind == "partial":
        day, month = value
        if not 1 <= month <= 12:
            return None, i
        if following[0] == "school_year":
            year = following[1] if month >= 9 else following[1] + 1
            value = _date(year, month, day)
            return (_Item(value, value), i + 2) if value else (None, i)
        return _Item(month=month, day=day), i + 1
    if kind == "month":
        if following[0] == "year":
            return _Item(*month_range(following[1], value)), i + 2
        if following[0] == "school_year":
            year = following[1] if value >= 9 else following[1] + 1
            return _Item(*month_range(year, value)), i + 2
        return _Item(month=value), i + 1
    if kind == "year":
        return _Item(datetime.date(value, 1, 1), datetime.date(value, 12, 31)), i + 1
    if kind == "school_year":
        return _Item(datetime.date(value, 9, 1), datetime.date(value + 1, 8, 31), school_year=value), i + 1
    if kind in ("quarter", "half"):
        if following[0] != "year":
            return None, i
        year = following[1]
        months = 3 if kind == "quarter" else 6
        first = (value - 1) * months + 1
        if first > 12:
            return None, i
        return _Item(month_range(year, first)[0], month_range(year, first + months - 1)[1]), i + 2
    return None, i


def parse_timing(text: str | None) -> tuple[datetime.date | None, datetime.date | None]:
    """``(start, end)`` of «Сроки» as written, or ``(None, None)`` when it cannot be read for sure."""
    if not text or not text.strip():
        return NOTHING
    tokens = _tokens(text)
    if not tokens:
        return NOTHING
    # Groups: an item alone, or «item - item» (also «с item по item»), separated by spaces or commas.
    groups: list[tuple[_Item, _Item | None]] = []
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        if tokens[i][0] == "comma":
            i += 1
            continue
        opened = tokens[i][0] == "from"
        if opened:
            i += 1
        left, i = _parse_item(tokens, i)
        if left is None:
            return NOTHING
        right = None
        if i < len(tokens) and tokens[i][0] == "dash":
            right, i = _parse_item(tokens, i + 1)
            if right is None:
                return NOTHING
        elif opened:
            return NOTHING  # «с 01.09.2020»: no end
        groups.append((left, right))
        items.extend(x for x in (left, right) if x is not None)

    # A day or month without a year takes it from the next complete piece of the text.
    for index, item in enumerate(items):
        if item.complete:
            continue
        anchor = next((x for x in items[index + 1 :] if x.complete), None)
        if anchor is None or not item.resolve(anchor.year_for(item.month)):
            return NOTHING

    spans = []
    for left, right in groups:
        if right is None:
            spans.append((left.start, left.end))
            continue
        if left.start > right.end and left.inferred:
            # «25.12-10.01.2023»: the start is in the year before.
            if not left.resolve(left.start.year - 1):
                return NOTHING
        if left.start > right.end:
            return NOTHING
        spans.append((left.start, right.end))
    return min(s for s, _ in spans), max(e for _, e in spans)
