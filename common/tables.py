"""A list's sort and page, in one place (docs/architecture.md §4.2).

Every list of the portal declares its sortable columns (``Column``: the ``?o=`` key, the header's
Russian label and the ``order_by`` fields) and hands its scoped, filtered queryset to
``sorted_page``. That function

- reads ``?o=<key>`` (ascending) or ``?o=-<key>`` (descending); an unknown value is ignored with a
  Russian note and the list keeps its own order — never a server error;
- orders in the database, the primary key last so that ties keep one stable order across pages;
- cuts the page (``?page=``; a page past the end shows the last one, as Django's ``get_page``);
- remembers the list's query string in the session, so that a card's «Назад к списку» returns to
  the same filters, sort and page (``back_url``; the address is always the list's own, rebuilt
  with ``reverse``: nothing from the session can send the user elsewhere).

The headers (a link each, ``aria-sort`` and an arrow on the sorted one) come out as
``SortedPage.headers[key]`` for ``templates/portal/_th.html``; the pager is
``templates/portal/_pager.html`` with the ``pager_items`` tag of ``common.templatetags.tables``.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

SORT_PARAM = "o"
PAGE_PARAM = "page"
SORT_REFUSED = "Сортировка «{value}» не применена: такого столбца в списке нет. Показан обычный порядок."
SESSION_KEY = "list_state"
STATE_MAX_LENGTH = 2000  # a query string longer than this is not remembered (a hand-made one)
NOT_REMEMBERED = ("format", "page_size")  # an export is no state to come back to
ASC_ARROW, DESC_ARROW = "▲", "▼"


@dataclass(frozen=True)
class Column:
    """A sortable column: ``key`` in ``?o=``, the header's ``label``, the ``order_by`` fields."""

    key: str
    label: str
    fields: tuple  # names, or expressions such as ``common.natural.natural("full_name")``


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    url: str  # the same list sorted by this column (the other way round if it is sorted by it now)
    aria_sort: str  # "ascending", "descending" or "" (not sorted by this column)
    arrow: str


@dataclass
class SortedPage:
    page: Page
    queryset: QuerySet  # sorted, for an export in the order the user sees
    order: str  # the applied ``?o=`` value, "" for the list's own order
    headers: dict[str, Header]


class DeferredJoinPaginator(Paginator):
    """Pages of a wide queryset picked on the bare one (a deferred join, bench/README.md): the page's
    primary keys come from the filtered, sorted rows without their ``select_related`` joins,
    annotations and prefetches (only what the filter and the sort need), then only those rows are
    read with everything the page shows. The count is the bare queryset's too."""

    def __init__(self, object_list: QuerySet, per_page: int, **kwargs):
        self.wide = object_list
        bare = object_list.select_related(None).prefetch_related(None)
        super().__init__(bare, per_page, **kwargs)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.wide.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def thousands(*, number: int) -> str:
    """1234567 → «1 234 567» (non-breaking spaces between the groups)."""
    return f"{number:,}".replace(",", "\u00a0")


def _desc(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def parse_order(*, value: str | None, columns: list[Column]) -> tuple[Column | None, bool, bool]:
    """(column, descending, refused) of a ``?o=`` value; an empty value is the list's own order."""
    if not value:
        return None, False, False
    descending = value.startswith("-")
    key = value[1:] if descending else value
    by_key = {column.key: column for column in columns}
    if key not in by_key:
        return None, False, True
    return by_key[key], descending, False


def order_fields(*, column: Column, descending: bool) -> list:
    """The ``order_by`` of a column, the primary key last (the same direction: a reversed list). A
    field is a name or an expression (``common.natural.natural``)."""
    fields = [*column.fields, "pk"]
    if not descending:
        return fields
    return [_desc(f) if isinstance(f, str) else f.desc() for f in fields]


def _query(get: QueryDict, **changes) -> str:
    query = get.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def sorted_page(
    *,
    request,
    queryset: QuerySet,
    columns: list[Column],
    page_size: int,
    list_name: str | None = None,
    deferred_join: bool = False,
) -> SortedPage:
    """Sort ``queryset`` by ``?o=``, cut ``?page=``, build the headers; remember the state under
    ``list_name`` (the list's URL name) for the card's way back. ``deferred_join``: pick the page's
    rows on the bare queryset first (``DeferredJoinPaginator``), for a list of a whole region."""
    raw = request.GET.get(SORT_PARAM, "")
    column, descending, refused = parse_order(value=raw, columns=columns)
    get = request.GET
    if refused:
        messages.warning(request, SORT_REFUSED.format(value=raw[:40]))
        get = get.copy()
        get.pop(SORT_PARAM)
    if column is not None:
        queryset = queryset.order_by(*order_fields(column=column, descending=descending))
    paginator = (DeferredJoinPaginator if deferred_join else Paginator)(queryset, page_size)
    page = paginator.get_page(request.GET.get(PAGE_PARAM))
    headers = {}
    for each in columns:
        current = column is not None and each.key == column.key
        target = f"-{each.key}" if current and not descending else each.key
        headers[each.key] = Header(
            key=each.key,
            label=each.label,
            url=_query(get, **{SORT_PARAM: target, PAGE_PARAM: None}),
            aria_sort=("descending" if descending else "ascending") if current else "",
            arrow=(DESC_ARROW if descending else ASC_ARROW) if current else "",
        )
    if list_name:
        remember(request=request, list_name=list_name, query=get)
    order = "" if column is None else ("-" if descending else "") + column.key
    return SortedPage(page=page, queryset=queryset, order=order, headers=headers)


def sorted_queryset(*, request, queryset: QuerySet, columns: list[Column]) -> QuerySet:
    """``queryset`` in the order ``?o=`` asks (unchanged for none or an unknown one, silently): an
    export in the order the list shows."""
    column, descending, _ = parse_order(value=request.GET.get(SORT_PARAM, ""), columns=columns)
    if column is None:
        return queryset
    return queryset.order_by(*order_fields(column=column, descending=descending))


def remember(*, request, list_name: str, query: QueryDict) -> None:
    """Keep the list's query string (filters, sort, page) for ``back_url``; a session write only
    when it changed."""
    session = getattr(request, "session", None)
    if session is None:
        return
    query = query.copy()
    for name in NOT_REMEMBERED:
        query.pop(name, None)
    encoded = query.urlencode()
    if len(encoded) > STATE_MAX_LENGTH:
        encoded = ""
    state = dict(session.get(SESSION_KEY) or {})
    if not encoded and list_name not in state:
        return  # the bare list is what ``back_url`` gives anyway: no session write
    value = [request.resolver_match.view_name if request.resolver_match else "", encoded]
    if state.get(list_name) != value:
        state[list_name] = value
        session[SESSION_KEY] = state


def back_url(*, request, list_name: str, default: str) -> str:
    """The list as the user left it: its URL (by name, never a stored address) and the remembered
    query string, re-encoded; ``default`` (a URL name) when nothing is remembered."""
    state = (getattr(request, "session", None) or {}).get(SESSION_KEY) or {}
    view_name, encoded = (state.get(list_name) or [default, ""])[:2]
    try:
        url = reverse(view_name)
    except NoReverseMatch:  # a URL renamed since the session was written, or one with arguments
        url, encoded = reverse(default), ""
    if not isinstance(encoded, str):
        encoded = ""
    query = QueryDict(encoded).urlencode()
    return f"{url}?{query}" if query else url
