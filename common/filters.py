"""Filter values out of range, in one place: a refused filter, never a server error.

A list's filters come from the query string, which anybody can type. A year outside 1..9999
is no Python date (Django's year lookup builds its bounds from one), a number beyond the
column's range overflows (PostgreSQL raises on a bigint overflow, SQLite beyond 2**63) and
PostgreSQL refuses a NUL character in text. Each of these is refused by the filter's form
field, with a Russian message naming the filter; the list is then shown without that filter.

The admin's changelists get the same treatment from ``SafeChangeListMixin``: its date
hierarchy (``?<field>__year=…&__month=…&__day=…``) is checked before Django turns it into
dates, a parameter with a NUL is dropped before any sidebar filter reaches PostgreSQL, and
each refused value leaves a note instead of a 500.
"""

import datetime

import django_filters
from django import forms
from django.contrib import messages

YEAR_MIN, YEAR_MAX = 1, datetime.MAXYEAR  # Python's dates, the bounds of a year lookup
ID_MAX = 2**63 - 1  # a bigint, the widest id column of the portal


def int_param(value, *, low: int = 1, high: int = ID_MAX) -> int | None:
    """A number typed in a query string, or None: ASCII digits only (``"²".isdigit()`` is true,
    ``int("²")`` fails) and within ``low``..``high`` (an id beyond a bigint overflows the query)."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if low <= number <= high else None


class YearField(forms.IntegerField):
    """A calendar year: a whole number from 1 to 9999."""

    default_error_messages = {
        "invalid": f"введите год целым числом от {YEAR_MIN} до {YEAR_MAX}.",
        "min_value": f"введите год целым числом от {YEAR_MIN} до {YEAR_MAX}.",
        "max_value": f"введите год целым числом от {YEAR_MIN} до {YEAR_MAX}.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", YEAR_MIN)
        kwargs.setdefault("max_value", YEAR_MAX)
        super().__init__(**kwargs)


class YearFilter(django_filters.NumberFilter):
    """``?year=`` of a list: the rows whose date falls in that year."""

    field_class = YearField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "year")
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------- the admin

NUL_REFUSED = "Параметр «{name}» не применён: в нём управляющий символ U+0000. Показан весь список."
DATE_HIERARCHY_REFUSED = "Фильтр по дате «{label}» не применён: {reason} Показан весь список."


def date_hierarchy_error(year: str | None, month: str | None, day: str | None) -> str | None:
    """Why Django could not turn these parameters into a period of dates (None when it can)."""
    numbers = []
    for name, value in (("год", year), ("месяц", month), ("день", day)):
        if value is not None and not (value.isascii() and value.isdigit() and len(value) <= 4):
            return f"{name} «{value[:20]}» — не число от 1 до 9999."
        numbers.append(int(value) if value is not None else None)
    year_n, month_n, day_n = numbers
    if year_n is None:
        return "не указан год."
    try:
        start = datetime.date(year_n, 1 if month_n is None else month_n, 1 if day_n is None else day_n)
    except ValueError:
        return "такой даты нет."
    # Django's end of the period, computed the same way: the next day, month or year.
    try:
        if day is not None:
            start + datetime.timedelta(days=1)
        elif month is not None:
            start + datetime.timedelta(days=32)
        else:
            datetime.date(start.year + 1, 1, 1)
    except (ValueError, OverflowError):
        return f"период выходит за {YEAR_MAX} год."
    return None


class SafeChangeListMixin:
    """For every ModelAdmin of the portal: refused filter values give a note, not a 500."""

    def changelist_view(self, request, extra_context=None):
        # PostgreSQL refuses a NUL character in text: any list filter would be a DataError.
        refused = [name for name, values in request.GET.lists() if "\x00" in name + "".join(values)]
        if refused:
            request.GET = request.GET.copy()
            for name in refused:
                request.GET.pop(name)
                messages.warning(request, NUL_REFUSED.format(name=name.replace("\x00", "")))
        hierarchy = self.date_hierarchy
        if hierarchy:
            names = [f"{hierarchy}__{part}" for part in ("year", "month", "day")]
            values = [request.GET.getlist(name)[-1] if name in request.GET else None for name in names]
            if any(value is not None for value in values):
                reason = date_hierarchy_error(*values)
                if reason:
                    request.GET = request.GET.copy()
                    for name in names:
                        request.GET.pop(name, None)
                    field = self.model._meta.get_field(hierarchy.split("__")[0])
                    messages.warning(
                        request, DATE_HIERARCHY_REFUSED.format(label=field.verbose_name, reason=reason)
                    )
        return super().changelist_view(request, extra_context)
