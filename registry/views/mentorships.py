"""«Наставнические пары»: the list with its filters and export, the pair form, the card, the lifecycle.

Access: every lookup goes through ``registry.access`` (out of scope: 404). A curator writes the
pairs of its school and an administrator all of them; coordinators and operators read (403 on
writes). A curator picks participants of its own school only; a mentor from another organization
is entered with the workbook import («Наставник код ОО»).
"""

import datetime
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from common import tables
from common.filters import int_param
from registry import access, export_jobs, matching, meetings, plans, services
from registry.forms.agreements import AgreementUploadForm
from registry.forms.mentorships import (
    MINOR_CATEGORIES,
    BulkCompleteForm,
    CompleteForm,
    MentorshipFilter,
    MentorshipForm,
    TerminateForm,
    sees_minor_names,
)
from registry.models import (
    PAIR_ALERTS,
    Meeting,
    MentoringForm,
    MentoringPlan,
    Mentorship,
    MentorshipLink,
    Organization,
    Person,
    UserScope,
    silent_weeks_label,
)
from registry.selectors import active_mentees_count

PAGE_SIZE = 50
# The list's sortable columns (common/tables.py); the mentees and the warnings are not sortable.
PAIR_COLUMNS = [
    tables.Column("form", "Форма наставничества", ("mentoring_form__name",)),
    tables.Column("mentor", "Наставник", ("mentor_person__full_name", "mentor_organization__full_name")),
    tables.Column("organization", "Организация", ("organization__full_name",)),
    tables.Column("status", "Статус", ("status",)),
    tables.Column("start", "Даты", ("start_date",)),
]
EXPORT_FILENAME = "Наставнические пары.xlsx"
RELOAD = "_reload"  # the form is posted back to offer the participants of another form or organization
Status = Mentorship.Status


# ---------------------------------------------------------------- reading


def scoped_pair(user, pk) -> Mentorship:
    """The pair a section of its card (plan, meetings, agreement) writes to: in the user's scope or
    a 404; the section's view then asks ``access.require_write``."""
    pairs = Mentorship.objects.select_related("mentoring_form", "organization__municipality")
    return access.get_scoped_or_404(user, pairs, pk=pk)


def section_form(request, pair: Mentorship, form, *, section: str, title: str):
    """The page of a form of a card's section: the pair's heading, the form, «← к паре» at the section."""
    context = {"form": form, "pair": pair, "section": section, "title": title}
    return render(request, "registry/mentorships/section_form.html", context)


def back_to_card(pair: Mentorship, section: str):
    """Back to the pair's card, at the section (``#plan``, ``#meetings``) the user came from."""
    return redirect(reverse("registry:mentorship-detail", args=[pair.pk]) + f"#{section}")


def _pairs(user) -> QuerySet:
    """Scoped pairs with everything a row shows, in a fixed number of queries."""
    links = MentorshipLink.objects.select_related("mentee_person", "mentee_organization").order_by(
        "mentee_person__full_name", "mentee_organization__full_name", "pk"
    )
    pairs = (
        Mentorship.objects.select_related(
            "mentoring_form", "organization", "mentor_person", "mentor_organization"
        )
        .annotate(mentor_load=active_mentees_count("mentor_person"))
        .with_last_meeting()
        .prefetch_related(Prefetch("links", queryset=links))
        .order_by("-start_date", "pk")
    )
    return access.scoped(user, pairs)


def _get_pair(user, pk, *, write: str | None = None) -> Mentorship:
    """The pair in scope (404 outside it); with ``write`` (an action of access.WRITE_RULES) 403 unless
    the user may change it so."""
    if write:
        return access.get_writable_or_404(user, _pairs(user), write, pk=pk)
    return access.get_scoped_or_404(user, _pairs(user), pk=pk)


def _writer_organization(user) -> Organization | None:
    """Where a new pair is formed: the curator's school; None lets an administrator choose."""
    access.require_write(user, Mentorship)
    if access.role_of(user) == UserScope.Role.CURATOR:
        return access.user_scope(user).organization
    return None


def person_label(person: Person | None, show_minor_names: bool) -> str:
    if person is None:
        return ""
    if not show_minor_names and person.category in MINOR_CATEGORIES:
        return person.get_category_display()
    return person.full_name


def participant_name(person, organization, show_minor_names: bool) -> str:
    if person is not None:
        return person_label(person, show_minor_names)
    return str(organization or "")


@dataclass(frozen=True)
class PairWarning:
    code: str
    badge: str
    text: str


def pair_warnings(pair: Mentorship, today: datetime.date) -> list[PairWarning]:
    """What the curator must act on; the rules are those of the list's filters."""
    limit = settings.MENTOR_MENTEE_LIMIT
    warnings = []
    load = getattr(pair, "mentor_load", 0) or 0
    if pair.status in (Status.DRAFT, Status.ACTIVE) and pair.mentor_person_id and load >= limit:
        warnings.append(
            PairWarning(
                "limit",
                f"у наставника {load} наставл.",
                f"У наставника наставляемых в действующих парах: {load} (рекомендуется не более {limit}).",
            )
        )
    # Each rule is PAIR_ALERTS's, as the list's filters and the dashboard's counts apply it.
    if PAIR_ALERTS["no_agreement"].holds(pair, today):
        warnings.append(
            PairWarning("no_agreement", "нет соглашения", "Не указана дата соглашения о наставничестве.")
        )
    planned = pair.planned_end_date
    if PAIR_ALERTS["overdue"].holds(pair, today):
        warnings.append(
            PairWarning(
                "overdue",
                "срок прошёл",
                f"Плановая дата окончания {planned:%d.%m.%Y} прошла: завершите пару "
                "или укажите новую плановую дату.",
            )
        )
    elif PAIR_ALERTS["ending"].holds(pair, today):
        warnings.append(
            PairWarning("ending", "скоро конец", f"Плановая дата окончания — {planned:%d.%m.%Y}.")
        )
    if PAIR_ALERTS["no_result"].holds(pair, today):
        warnings.append(PairWarning("no_result", "нет результата", "Пара завершена, но результат не внесён."))
    if PAIR_ALERTS["silent"].holds(pair, today):
        weeks = settings.SILENT_PAIR_WEEKS
        since = (
            f"последняя встреча — {pair.last_meeting_on:%d.%m.%Y}"
            if pair.last_meeting_on
            else f"встреч не было с начала наставничества, {pair.start_date:%d.%m.%Y}"
        )
        warnings.append(
            PairWarning("silent", "нет встреч", f"Без встреч {silent_weeks_label(weeks)}: {since}.")
        )
    return warnings


@dataclass
class PairRow:
    pair: Mentorship
    mentor: str
    mentees: list[str]
    warnings: list[PairWarning] = field(default_factory=list)


def _row(pair: Mentorship, today: datetime.date, show_minor_names: bool) -> PairRow:
    return PairRow(
        pair=pair,
        mentor=participant_name(pair.mentor_person, pair.mentor_organization, show_minor_names),
        mentees=[
            participant_name(link.mentee_person, link.mentee_organization, show_minor_names)
            for link in pair.links.all()
        ],
        warnings=pair_warnings(pair, today),
    )


@login_required
def mentorship_list(request):
    today = timezone.localdate()
    filterset = MentorshipFilter(request.GET, queryset=_pairs(request.user), user=request.user, today=today)
    # A filter value outside the allow-list or the scope shows its error and no rows.
    pairs = filterset.qs if filterset.is_valid() else Mentorship.objects.none()
    show = filterset.show_minor_names
    if request.GET.get("format") == "xlsx":
        sorted_pairs = tables.sorted_queryset(request=request, queryset=pairs, columns=PAIR_COLUMNS)
        return _export(request.user, sorted_pairs, today, show)
    table = tables.sorted_page(
        request=request,
        queryset=pairs,
        columns=PAIR_COLUMNS,
        page_size=PAGE_SIZE,
        list_name="registry:mentorship-list",
        deferred_join=True,  # a region's operator sorts tens of thousands of pairs (bench/README.md)
    )
    page = table.page
    context = {
        "filter": filterset,
        "page": page,
        "table": table,
        "rows": [_row(pair, today, show) for pair in page],
        "can_create": access.can_write(request.user, Mentorship),
        "can_bulk": access.can_write(request.user, Mentorship, access.STATUS),
        "show_organization": filterset.has_wider_filters,
        "names_hidden": not show,
    }
    return render(request, "registry/mentorships/mentorship_list.html", context)


EXPORT_COLUMNS = [
    "Организация",
    "Код ОО",
    "Форма наставничества",
    "Группа",
    "Наставник",
    "Наставляемые",
    "Статус",
    "Дата начала",
    "Плановая дата окончания",
    "Дата окончания",
    "Дата соглашения",
    "Результат",
    "Предупреждения",
]


def _export(user, pairs: QuerySet, today: datetime.date, show_minor_names: bool):
    def rows():
        # chunk_size keeps the prefetch of links working while the rows stream out.
        for pair in pairs.iterator(chunk_size=1000):
            row = _row(pair, today, show_minor_names)
            yield [
                str(pair.organization),
                pair.organization.code,
                pair.mentoring_form.name,
                pair.group_name,
                row.mentor,
                "; ".join(row.mentees),
                pair.get_status_display(),
                pair.start_date,
                pair.planned_end_date,
                pair.end_date,
                pair.agreement_date,
                pair.result,
                "; ".join(w.text for w in row.warnings),
            ]

    return export_jobs.xlsx_response(
        filename=EXPORT_FILENAME,
        title="Наставнические пары",
        columns=EXPORT_COLUMNS,
        rows=rows(),
        user=user,
        total=pairs.count,
    )


# ---------------------------------------------------------------- the card and its history

HISTORY_FIELDS = (
    "status",
    "mentoring_form",
    "mentor_person",
    "mentor_organization",
    "start_date",
    "planned_end_date",
    "end_date",
    "agreement_date",
    "mode",
    "group_name",
    "goal",
    "mentee_request",
    "result",
    "termination_reason",
)
LINKS_WITH_THEIR_SAVE = datetime.timedelta(seconds=5)


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    action: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # label, before, after


def _history(pair: Mentorship, show_minor_names: bool) -> list[HistoryEntry]:
    """Who changed what and when: the pair's own history and its mentees coming and going."""
    records = list(pair.history.select_related("history_user").order_by("history_date", "history_id"))
    link_records = list(
        MentorshipLink.history.filter(mentorship_id=pair.pk, history_type__in=["+", "-"])
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    # Names of the people and organizations this pair has ever named, one query each. They are
    # reached through a pair in the user's scope, and pupils' names stay hidden above the school.
    people = Person.objects.in_bulk(
        ({r.mentor_person_id for r in records} | {r.mentee_person_id for r in link_records}) - {None}
    )
    organizations = Organization.objects.in_bulk(
        ({r.mentor_organization_id for r in records} | {r.mentee_organization_id for r in link_records})
        - {None}
    )
    forms = MentoringForm.objects.in_bulk({r.mentoring_form_id for r in records})

    def shown(name, value) -> str:
        if value in (None, ""):
            return "—"
        if name == "mentoring_form":
            return str(forms.get(value, value))
        if name == "mentor_person":
            return person_label(people.get(value), show_minor_names) or "удалённый участник"
        if name == "mentor_organization":
            return str(organizations.get(value, "удалённая организация"))
        if name == "status":
            return Status(value).label
        if name == "mode":
            return Mentorship.Mode(value).label
        if isinstance(value, datetime.date):
            return value.strftime("%d.%m.%Y")
        return str(value)

    def attname(name):
        return Mentorship._meta.get_field(name).attname

    def label(name):
        return capfirst(Mentorship._meta.get_field(name).verbose_name)

    entries, previous = [], None
    for record in records:
        who = record.history_user.get_username() if record.history_user else "система (импорт)"
        if previous is None or record.history_type == "+":
            entry = HistoryEntry(record.history_date, who, "создана")
            entry.changes.append((label("status"), "", shown("status", record.status)))
        else:
            entry = HistoryEntry(
                record.history_date, who, "удалена" if record.history_type == "-" else "изменена"
            )
            for name in HISTORY_FIELDS:
                before, after = getattr(previous, attname(name)), getattr(record, attname(name))
                if before != after:
                    entry.changes.append((label(name), shown(name, before), shown(name, after)))
        entries.append(entry)
        previous = record
    for link in link_records:
        mentee = participant_name(
            people.get(link.mentee_person_id),
            organizations.get(link.mentee_organization_id),
            show_minor_names,
        )
        change = ("Наставляемый", "", mentee) if link.history_type == "+" else ("Наставляемый", mentee, "")
        # A link saved with its pair (same user, same moment) belongs to that entry.
        owner = next(
            (
                e
                for e in reversed(entries)
                if e.when <= link.history_date <= e.when + LINKS_WITH_THEIR_SAVE
                and e.who == (link.history_user.get_username() if link.history_user else "система (импорт)")
            ),
            None,
        )
        if owner is None:
            who = link.history_user.get_username() if link.history_user else "система (импорт)"
            owner = HistoryEntry(link.history_date, who, "изменён состав")
            entries.append(owner)
        owner.changes.append(change)
    entries.sort(key=lambda e: e.when, reverse=True)
    return [e for e in entries if e.changes or e.action != "изменена"]


@login_required
def mentorship_detail(request, pk):
    pair = _get_pair(request.user, pk)
    today = timezone.localdate()
    show = sees_minor_names(request.user)
    can_write = access.can_write(request.user, pair, access.STATUS)
    plan = plans.plan_card(mentorship=pair, today=today)
    can_write_plan = access.can_write(request.user, plan.plan or MentoringPlan(mentorship=pair))
    context = {
        "plan": plan,
        "meetings": meetings.meetings_of(mentorship=pair),
        "can_write_meetings": access.can_write(request.user, Meeting(mentorship=pair))
        and meetings.accepts_meetings(mentorship=pair),
        "can_write_plan": can_write_plan,
        # «Заполнить из шаблона»: for the plan's writers while the plan has no task (one query)
        "plan_templates": list(plans.templates_for(mentorship=pair))
        if can_write_plan and not plan.rows
        else [],
        "pair": pair,
        "row": _row(pair, today, show),
        "can_write": can_write,
        "transitions": sorted(services.ALLOWED_TRANSITIONS[pair.status]) if can_write else [],
        "history": _history(pair, show),
        "limit": settings.MENTOR_MENTEE_LIMIT,
        "names_hidden": not show,
        "sees_scan": not access.is_mentor(request.user),
        "agreement_form": AgreementUploadForm() if can_write else None,
    }
    return render(request, "registry/mentorships/mentorship_detail.html", context)


# ---------------------------------------------------------------- create and edit


def _reload_initial(data) -> dict:
    """The values a user entered, to re-offer the form after the form of mentoring changed."""
    initial = {}
    for name in MentorshipForm.base_fields:
        if name in data:
            initial[name] = data.getlist(name) if name == "mentees" else data.get(name)
    return initial


@login_required
def mentorship_create(request):
    organization = _writer_organization(request.user)
    match = None
    if request.method == "POST" and RELOAD not in request.POST:
        form = MentorshipForm(request.POST, user=request.user, organization=organization)
        if form.is_valid():
            try:
                pair = services.mentorship_create(
                    organization=form.pair_organization,
                    mentees=form.cleaned_data["mentees"],
                    **form.model_fields(),
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, "Наставническая пара сохранена.")
                return redirect("registry:mentorship-detail", pair.pk)
    else:
        data = request.POST if request.method == "POST" else request.GET
        initial = _reload_initial(data)
        if "form" in request.GET:
            initial["mentoring_form"] = request.GET["form"]
        mentee = _asked_mentee(request)
        if mentee is not None and "mentees" not in initial:
            initial["mentees"] = [mentee.pk]
        form = MentorshipForm(
            user=request.user,
            organization=organization,
            initial=initial,
            mentor_search=request.GET.get("q", "") if request.method == "GET" else "",
            mentee_search=request.GET.get("mentee_q", "") if request.method == "GET" else "",
        )
        if mentee is not None:
            match = _match(form, mentee, request.GET.get("mentee_request", ""))
    context = {"form": form, "pair": None, "reload": RELOAD, "match": match}
    return render(request, "registry/mentorships/mentorship_form.html", context)


# ---------------------------------------------------------------- match suggestions

SUGGESTIONS_SHOWN = 10


def _asked_mentee(request) -> Person | None:
    """The mentee of a GET «Подобрать наставника»: a person in the user's scope, else 404."""
    value = request.GET.get("mentee", "") if request.method == "GET" else ""
    if not value:
        return None
    return access.get_scoped_or_404(request.user, Person.objects.all(), pk=value)


@dataclass
class Match:
    mentee: Person
    note: str = ""  # why nobody is suggested
    suggestions: list[matching.Suggestion] = field(default_factory=list)


def _match(form: MentorshipForm, mentee: Person, mentee_request: str) -> Match:
    """The mentors the form offers, ranked for ``mentee`` (the curator picks; nothing is saved)."""
    if not form.offers_people:
        return Match(mentee, "Сначала выберите форму наставничества, в которой наставники — люди.")
    if not form.fields["mentees"].queryset.filter(pk=mentee.pk).exists():
        return Match(mentee, f"Форма «{form.chosen_form}» не допускает этого участника наставляемым.")
    suggestions = matching.mentor_suggestions(
        mentee=mentee,
        mentoring_form=form.chosen_form,
        candidates=form.fields["mentor"].queryset,
        limit=SUGGESTIONS_SHOWN,
        mentee_request=mentee_request if "\x00" not in mentee_request else "",
    )
    note = "" if suggestions else "Подходящих наставников со свободной нагрузкой не нашлось."
    return Match(mentee, note, suggestions)


def _display(current: Mentorship, name: str, show_minor_names: bool) -> str:
    if name == "mentor":
        return participant_name(current.mentor_person, current.mentor_organization, show_minor_names)
    if name == "mentees":
        return "; ".join(
            participant_name(link.mentee_person, link.mentee_organization, show_minor_names)
            for link in current.links.all()
        )
    value = getattr(current, name)
    if name in ("mode", "status"):
        value = getattr(current, f"get_{name}_display")()
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    return str(value) if value not in (None, "") else "—"


def _stale_differences(form: MentorshipForm, current: Mentorship, show_minor_names: bool) -> list:
    """What the other user saved that differs from this user's form: shown, so nothing is lost."""
    initial = MentorshipForm.initial_for(current)
    return [
        (bound.label, _display(current, name, show_minor_names))
        for name, bound in ((n, form[n]) for n in form.fields if n != "version")
        if form.fields[name].has_changed(initial.get(name), bound.data)
    ]


@login_required
def mentorship_edit(request, pk):
    pair = _get_pair(request.user, pk, write=access.EDIT)
    show = sees_minor_names(request.user)
    stale = []
    if request.method == "POST" and RELOAD not in request.POST:
        form = MentorshipForm(
            request.POST, user=request.user, organization=pair.organization, mentorship=pair
        )
        if form.is_valid():
            if not form.has_changed():
                messages.info(request, "Изменений нет.")
                return redirect("registry:mentorship-detail", pair.pk)
            try:
                services.mentorship_update(
                    mentorship=pair,
                    expected_version=form.cleaned_data["version"],
                    mentees=form.cleaned_data["mentees"],
                    **form.model_fields(),
                )
            except ValidationError as error:
                form.add_service_error(error)
                pair = _get_pair(request.user, pk)  # the stored pair, not the one the form changed
                if services.STALE_VERSION in error.messages:
                    stale = _stale_differences(form, pair, show)
            else:
                messages.success(request, "Изменения сохранены.")
                return redirect("registry:mentorship-detail", pair.pk)
    elif request.method == "POST":
        form = MentorshipForm(
            user=request.user,
            organization=pair.organization,
            mentorship=pair,
            initial=_reload_initial(request.POST),
        )
    else:
        initial = MentorshipForm.initial_for(pair)
        if "form" in request.GET:
            initial["mentoring_form"] = request.GET["form"]
        form = MentorshipForm(
            user=request.user, organization=pair.organization, mentorship=pair, initial=initial
        )
    context = {"form": form, "pair": pair, "reload": RELOAD, "stale": stale}
    return render(request, "registry/mentorships/mentorship_form.html", context)


# ---------------------------------------------------------------- lifecycle


def _posted_version(request) -> int:
    """The version the user's page was built from; a missing one counts as stale (0 never matches)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


@login_required
@require_POST
def mentorship_activate(request, pk):
    pair = _get_pair(request.user, pk, write=access.STATUS)
    try:
        services.mentorship_transition(
            mentorship=pair, status=Status.ACTIVE, expected_version=_posted_version(request)
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Пара переведена в статус «действует».")
    return redirect("registry:mentorship-detail", pk)


def _close(request, pk, *, target: str, form_class):
    pair = _get_pair(request.user, pk, write=access.STATUS)
    try:
        services.mentorship_check_transition(mentorship=pair, status=target)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("registry:mentorship-detail", pk)
    form = form_class(request.POST if request.method == "POST" else None, mentorship=pair)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if target == Status.COMPLETED:
                services.mentorship_complete(
                    mentorship=pair,
                    end_date=data["end_date"],
                    result=data["result"],
                    goal_reached=data["goal_reached"],
                    mentee_assessment=data["mentee_assessment"],
                    effect_comment=data["effect_comment"],
                    expected_version=data["version"],
                )
            else:
                services.mentorship_transition(
                    mentorship=pair,
                    status=target,
                    end_date=data["end_date"],
                    reason=data["termination_reason"],
                    expected_version=data["version"],
                )
        except ValidationError as error:
            form.add_service_error(error)
            pair = _get_pair(request.user, pk)
        else:
            messages.success(request, f"Пара переведена в статус «{Status(target).label}».")
            return redirect("registry:mentorship-detail", pk)
    context = {"form": form, "pair": pair, "target": Status(target)}
    if target == Status.COMPLETED:
        context["plan_progress"] = plans.plan_card(mentorship=pair, today=timezone.localdate()).progress
    return render(request, "registry/mentorships/mentorship_close.html", context)


@login_required
def mentorship_complete(request, pk):
    return _close(request, pk, target=Status.COMPLETED, form_class=CompleteForm)


@login_required
def mentorship_terminate(request, pk):
    return _close(request, pk, target=Status.TERMINATED, form_class=TerminateForm)


# ---------------------------------------------------------------- bulk actions of the list

BULK_MAX = 100  # rows one confirmation page lists (the list shows 50 a page)
BULK_TARGETS = {"activate": Status.ACTIVE, "complete": Status.COMPLETED}
BULK_TITLES = {"activate": "Перевести пары в статус «действует»", "complete": "Завершить пары"}
BULK_NONE = "Отметьте в списке пары, с которыми нужно что-то сделать."
BULK_TOO_MANY = f"За один раз можно обработать не больше {BULK_MAX} пар."
BULK_UNKNOWN = "Выберите действие с отмеченными парами."
BULK_DONE = "Переведено в статус «{status}»: {done} из {total}."
BULK_REFUSED = "{label}: {message}"


def bulk_pks(request, *, parse) -> list | None:
    """The posted ``pk`` values, each through ``parse`` (None: not an id, answered 404); at most
    ``BULK_MAX``."""
    values = list(dict.fromkeys(request.POST.getlist("pk")))
    parsed = [parse(value) for value in values]
    if any(pk is None for pk in parsed):
        raise Http404("Объект не найден")
    return parsed


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


@login_required
@require_POST
def mentorship_bulk(request):
    """Activate or complete the ticked pairs: a confirmation page, then each pair through the same
    service and checks as its card's button or form. Every pair must be the user's to change (a pair
    out of scope: 404 for the whole request, a read-only role: 403, nothing written); then each pair
    succeeds or is refused on its own, with the reason (docs/architecture.md §4.2)."""
    user = request.user
    back = tables.back_url(
        request=request, list_name="registry:mentorship-list", default="registry:mentorship-list"
    )
    action = request.POST.get("action")
    if action not in BULK_TARGETS:
        messages.error(request, BULK_UNKNOWN)
        return redirect(back)
    pks = bulk_pks(request, parse=_uuid)
    if not pks:
        messages.error(request, BULK_NONE)
        return redirect(back)
    if len(pks) > BULK_MAX:
        messages.error(request, BULK_TOO_MANY)
        return redirect(back)
    pairs = list(_pairs(user).filter(pk__in=pks))
    if len(pairs) != len(pks):
        raise Http404("Объект не найден")  # a pair of another school, or none at all
    for pair in pairs:
        access.require_write(user, pair, access.STATUS)
    show = sees_minor_names(user)
    today = timezone.localdate()
    rows = [_row(pair, today, show) for pair in pairs]
    target = BULK_TARGETS[action]
    form = (
        BulkCompleteForm(request.POST if "confirm" in request.POST else None)
        if action == "complete"
        else None
    )
    if "confirm" in request.POST and (form is None or form.is_valid()):
        done, refused = 0, []
        for row in rows:
            pair = row.pair
            version = int_param(request.POST.get(f"version-{pair.pk}", "")) or 0
            try:
                if action == "complete":
                    data = form.cleaned_data
                    services.mentorship_complete(
                        mentorship=pair,
                        end_date=data["end_date"],
                        result=data["result"],
                        goal_reached=data["goal_reached"],
                        effect_comment=data["effect_comment"],
                        expected_version=version,
                    )
                else:
                    services.mentorship_transition(mentorship=pair, status=target, expected_version=version)
            except ValidationError as error:
                label = _bulk_label(row)
                refused += [BULK_REFUSED.format(label=label, message=message) for message in error.messages]
            else:
                done += 1
        if done:
            messages.success(
                request, BULK_DONE.format(status=Status(target).label, done=done, total=len(rows))
            )
        for message in refused:
            messages.error(request, message)
        return redirect(back)
    context = {
        "title": BULK_TITLES[action],
        "action": action,
        "action_url": reverse("registry:mentorship-bulk"),
        "rows": [
            (row.pair.pk, row.pair.version, _bulk_label(row), row.pair.get_status_display()) for row in rows
        ],
        "form": form,
        "back": back,
        "button": "Завершить" if action == "complete" else "Перевести в «действует»",
        "note": (
            "Результат, оценка и дата окончания будут записаны в каждую пару; самооценку наставляемого "
            "внесите на карточке пары, если она есть."
            if action == "complete"
            else None
        ),
    }
    return render(request, "registry/bulk_confirm.html", context)


def _bulk_label(row: PairRow) -> str:
    mentees = ", ".join(row.mentees)
    return f"«{row.pair.mentoring_form.name}: {row.mentor}{' → ' + mentees if mentees else ''}»"


urlpatterns = [
    path("pairs/", mentorship_list, name="mentorship-list"),
    path("pairs/bulk/", mentorship_bulk, name="mentorship-bulk"),
    path("pairs/new/", mentorship_create, name="mentorship-create"),
    path("pairs/<uuid:pk>/", mentorship_detail, name="mentorship-detail"),
    path("pairs/<uuid:pk>/edit/", mentorship_edit, name="mentorship-edit"),
    path("pairs/<uuid:pk>/activate/", mentorship_activate, name="mentorship-activate"),
    path("pairs/<uuid:pk>/complete/", mentorship_complete, name="mentorship-complete"),
    path("pairs/<uuid:pk>/terminate/", mentorship_terminate, name="mentorship-terminate"),
]
