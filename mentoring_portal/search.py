"""The header search: people, pairs, organizations and documents in the user's scope (docs/architecture.md
§4.1).

Names are compared folded (``common.text.fold``: lower case, «ё» as «е») against the stored
``search_name`` columns, so SQLite and PostgreSQL find the same rows, and PostgreSQL's trigram indexes
serve the ``LIKE '%…%'``; normative documents' titles are folded so too (``search_name``, registry
migration 0020). Titles of practices, road maps and reports have no folded copy: they are compared
case-insensitively (on SQLite also for Cyrillic, through the variants of ``title_q``).

Every kind is one query through ``registry.access.scoped``, at most ``PER_KIND + 1`` rows shown (the
extra row only says that there is more, and the group then links to its list filtered by the same text).
People and organizations are read up to ``PAIRS_OF`` rows: the pairs shown are theirs.
"""

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode

from common.text import REFUSED, fold
from monitoring.models import RoadMap
from registry import access
from registry.models import (
    Mentorship,
    MentorshipLink,
    NormativeDocument,
    Organization,
    Person,
    PracticeBankEntry,
)
from registry.name_search import NAMED_CATEGORIES, name_q
from reports.models import Report

MIN_LENGTH = 2  # folded characters; fewer find half the registry
MAX_LENGTH = 100
PER_KIND = 5  # rows shown per kind
PAIRS_OF = 10  # people (and organizations) read, whose pairs the pairs' group shows
TOO_SHORT = f"Введите не меньше {MIN_LENGTH} символов: часть ФИО, названия организации или документа."


@dataclass
class Hit:
    text: str
    url: str
    detail: str = ""


@dataclass
class Group:
    kind: str  # a stable key, for tests and anchors
    title: str
    hits: list[Hit]
    more: list[tuple[str, str]] = field(default_factory=list)  # («показать все …», list URL) when cut


@dataclass
class Results:
    query: str  # as typed (cleaned)
    message: str = ""  # why nothing was searched
    groups: list[Group] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(len(g.hits) for g in self.groups)


def clean_query(text: str) -> str:
    """The typed text without hidden characters (PostgreSQL refuses NUL), spaces collapsed, capped."""
    return " ".join(REFUSED.sub("", text or "").split())[:MAX_LENGTH]


def title_q(name: str, text: str) -> Q:
    """A title containing ``text`` case-insensitively: PostgreSQL folds any case itself, SQLite only
    Latin letters, so the lowercased and capitalised forms are tried too."""
    q = Q()
    for variant in {text, text.lower(), text.capitalize(), text.upper()}:
        q |= Q(**{f"{name}__icontains": variant})
    return q


def _list_url(name: str, query: str | None = None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'q': query})}" if query is not None else url


def _cut(rows: list) -> tuple[list, bool]:
    return rows[:PER_KIND], len(rows) > PER_KIND


def search(*, user, text: str) -> Results:
    """What the header search finds for ``text`` under ``user``'s scope, grouped by kind."""
    query = clean_query(text)
    folded = fold(query)
    if len(folded) < MIN_LENGTH:
        return Results(query=query, message=TOO_SHORT if query else "")
    minor_names = access.sees_minor_names(user)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Small LIMIT queries: starting parallel workers costs more than it saves (bench/README.md,
            # «Benchmark of the header search»); SET LOCAL ends with this transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        people = _found_people(user, folded, minor_names)
        organizations = _found_organizations(user, folded, query)
        groups = [
            _people(people, query),
            _pairs(user, people, organizations, query, minor_names),
            _organizations(organizations, query),
            _practices(user, query),
            _roadmaps(user, query),
            _reports(user, query),
            _documents(user, query),
        ]
    return Results(query=query, groups=[g for g in groups if g.hits])


def _by_name(rows: list) -> list:
    return sorted(rows, key=lambda row: (row.search_name, str(row.pk)))


def _found_people(user, folded: str, minor_names: bool) -> list[Person]:
    """Up to ``PAIRS_OF`` people of the scope whose name contains the text, the first the database
    meets (no ORDER BY: a common name stops the scan early, a rare one comes by the trigram index;
    sorting every match of a region first took 100 ms, bench/README.md), sorted by name."""
    people = access.scoped(user, Person.objects.filter(name_q("", folded)))
    if not minor_names:
        people = people.filter(category__in=NAMED_CATEGORIES)  # pupils above the school: counts only
    return _by_name(list(people.select_related("organization").order_by()[:PAIRS_OF]))


def _found_organizations(user, folded: str, query: str) -> list[Organization]:
    organizations = access.scoped(
        user, Organization.objects.filter(name_q("", folded) | Q(code__iexact=query))
    ).select_related("municipality")
    return _by_name(list(organizations.order_by()[:PAIRS_OF]))


def _people(people: list[Person], query: str) -> Group:
    hits = [
        Hit(
            p.full_name,
            reverse("registry:person-detail", args=[p.pk]),
            f"{p.get_category_display()} · {p.organization}",
        )
        for p in people[:PER_KIND]
    ]
    more = []
    if len(people) > PER_KIND:
        more = [
            ("все наставники", _list_url("registry:mentor-list", query)),
            ("все наставляемые", _list_url("registry:mentee-list", query)),
        ]
    return Group("people", "Участники", hits, more)


def _pair_text(pair: Mentorship, minor_names: bool) -> str:
    mentor = pair.mentor_person or pair.mentor_organization
    if isinstance(mentor, Person) and mentor.category in access.MINOR_CATEGORIES and not minor_names:
        mentor = "наставник-обучающийся"
    return f"{pair.mentoring_form.name}: {mentor}"


def _pairs(
    user, people: list[Person], organizations: list[Organization], query: str, minor_names: bool
) -> Group:
    """The pairs in scope of the people and organizations found (their links carry the mentor and the
    mentee: one index lookup each); the pair list's own «q» (``pairs_q``) is the exhaustive search."""
    if not people and not organizations:
        return Group("pairs", "Наставнические пары", [])
    person_ids, organization_ids = [p.pk for p in people], [o.pk for o in organizations]
    links = MentorshipLink.objects.filter(
        Q(mentor_person__in=person_ids)
        | Q(mentee_person__in=person_ids)
        | Q(mentor_organization__in=organization_ids)
        | Q(mentee_organization__in=organization_ids)
    )
    pairs = access.scoped(user, Mentorship.objects.filter(pk__in=links.values("mentorship")))
    pairs = pairs.select_related("mentoring_form", "mentor_person", "mentor_organization", "organization")
    rows, more = _cut(list(pairs.order_by("-start_date", "pk")[: PER_KIND + 1]))
    hits = [
        Hit(
            _pair_text(p, minor_names),
            reverse("registry:mentorship-detail", args=[p.pk]),
            f"{p.get_status_display()} · с {p.start_date:%d.%m.%Y} · {p.organization}",
        )
        for p in rows
    ]
    return Group(
        "pairs",
        "Наставнические пары",
        hits,
        [("все найденные пары", _list_url("registry:mentorship-list", query))] if more else [],
    )


def _organizations(organizations: list[Organization], query: str) -> Group:
    hits = [
        Hit(
            o.full_name,
            reverse("registry:organization-detail", args=[o.code]),
            f"код {o.code} · {o.municipality}",
        )
        for o in organizations[:PER_KIND]
    ]
    more = len(organizations) > PER_KIND
    return Group(
        "organizations",
        "Организации",
        hits,
        [("все найденные организации", _list_url("registry:organization-list", query))] if more else [],
    )


def _practices(user, query: str) -> Group:
    practices = access.scoped(user, PracticeBankEntry.objects.filter(title_q("title", query)))
    rows, more = _cut(
        list(practices.select_related("organization").order_by("-submitted_on", "-pk")[: PER_KIND + 1])
    )
    hits = [
        Hit(p.title, reverse("registry:practice-detail", args=[p.pk]), f"практика · {p.organization}")
        for p in rows
    ]
    return Group(
        "practices",
        "Практики",
        hits,
        [("все найденные практики", _list_url("registry:practice-list", query))] if more else [],
    )


def _roadmaps(user, query: str) -> Group:
    roadmaps = access.scoped(user, RoadMap.objects.filter(title_q("title", query)))
    rows, more = _cut(list(roadmaps.order_by("title", "pk")[: PER_KIND + 1]))
    hits = [
        Hit(
            r.title,
            reverse("monitoring:roadmap-detail", args=[r.pk]),
            f"дорожная карта · {r.get_level_display()}",
        )
        for r in rows
    ]
    return Group(
        "roadmaps",
        "Дорожные карты",
        hits,
        [("все найденные дорожные карты", _list_url("monitoring:roadmap-list", query))] if more else [],
    )


def _reports(user, query: str) -> Group:
    if access.role_of(user) is None:
        return Group("reports", "Отчёты", [])  # the reports are for users with a territory
    reports = access.scoped(user, Report.objects.filter(title_q("title", query)))
    rows, more = _cut(list(reports.order_by("-updated_at", "-pk")[: PER_KIND + 1]))
    hits = [
        Hit(
            r.title or str(r),
            reverse("reports:detail", args=[r.pk]),
            f"отчёт · изменён {r.updated_at:%d.%m.%Y}",
        )
        for r in rows
    ]
    # The reports' list has no text filter: «все отчёты» opens it whole.
    return Group("reports", "Отчёты", hits, [("все отчёты", _list_url("reports:list"))] if more else [])


def _documents(user, query: str) -> Group:
    documents = access.scoped(user, NormativeDocument.objects.filter(name_q("", fold(query))))
    rows, more = _cut(list(documents.select_related("organization").order_by("-date", "-pk")[: PER_KIND + 1]))
    hits = []
    for d in rows:
        if d.file:
            url = reverse("registry:document-file", args=[d.pk])
        elif d.organization_id:
            url = reverse("registry:organization-detail", args=[d.organization.code])
        else:
            url = d.site_url
        hits.append(Hit(str(d), url, f"{d.get_level_display()} уровень"))
    # The documents are listed on their organizations' pages, not in a list of their own.
    return Group("documents", "Нормативные документы", hits, [])
