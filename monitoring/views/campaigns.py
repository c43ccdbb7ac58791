"""«Мониторинг»: campaigns and their submissions, thin screens over ``monitoring.campaigns`` (writes)
and ``monitoring.selectors`` (figures).

Who sees what: every lookup goes through ``registry.access`` — a curator the campaigns its
organization answers (once open) and its own submission, a coordinator its municipal campaigns
and the regional ones covering its municipality (with its own schools' figures only), the
operator its region's; out of scope answers 404. Who acts: the services decide
(``access.can_write`` with monitoring's rules ``rights.MANAGE``, ``FILL``, ``REVIEW``, ``REMIND``:
the manager or a coordinator), a role that sees the object but may not act gets 403, a broken rule
its Russian reason on the page.

Every page is a fixed number of queries whatever the number of schools (the selectors group in
the database; lists are paginated). Every table exports to .xlsx (``?format=xlsx``, the campaign
page's tables named by ``table=``).
"""

import datetime
import re
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common import tables
from common.formats import plural, ru_date
from common.natural import natural
from monitoring import approval as approval_svc
from monitoring import campaigns as svc
from monitoring import forms, rights, selectors
from monitoring import indicators as ind
from monitoring.models import (
    Campaign,
    CampaignTarget,
    MunicipalityApproval,
    MunicipalityApprovalEvent,
    Submission,
    SubmissionEvent,
)
from registry import access
from registry.export_jobs import xlsx_response
from registry.models import Municipality, Organization, UserScope

Role = UserScope.Role
CStatus = Campaign.Status
SStatus = Submission.Status
PAGE_SIZE = 50
MISSING_SHOWN = 200  # the rest of the organizations that have not sent are in the page's export
LIGHT_TEXT = {ind.GREEN: "достигнуто", ind.YELLOW: "близко к цели", ind.RED: "ниже цели"}
TRANSITIONS = {
    "open": (CStatus.DRAFT, "Открыть", svc.campaign_open, "Мониторинг открыт: организации получили отчёты."),
    "close": (CStatus.OPEN, "Завершить сбор", svc.campaign_close, "Сбор отчётов завершён."),
    "publish": (CStatus.CLOSED, "Опубликовать", svc.campaign_publish, "Мониторинг опубликован."),
}
EDITABLE_SUBMISSION = (SStatus.DRAFT, SStatus.RETURNED)


# ---------------------------------------------------------------- helpers


def _wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def _campaigns(user) -> QuerySet:
    return selectors.campaigns_for(user)


def _get_campaign(user, pk) -> Campaign:
    return access.get_scoped_or_404(user, _campaigns(user), pk=pk)


def _get_submission(user, pk) -> Submission:
    submissions = Submission.objects.select_related(
        "campaign__region",
        "campaign__municipality",
        "organization",
        "municipality",
        "submitted_by",
        "accepted_by",
    )
    return access.get_scoped_or_404(user, submissions, pk=pk)


def _new_territory(user):
    """Where a new campaign runs: a coordinator's municipality, an operator's region; None: an admin
    chooses; 403 for the others."""
    role = access.role_of(user)
    if role == Role.ADMIN:
        return None
    scope = access.user_scope(user)
    if role == Role.COORDINATOR and access.can_write(
        user, Campaign(region=scope.municipality.region, municipality=scope.municipality), rights.CREATE
    ):
        return scope.municipality
    if role == Role.OPERATOR and access.can_write(user, Campaign(region=scope.region), rights.CREATE):
        return scope.region
    raise PermissionDenied("Мониторинг проводит муниципальный координатор или региональный оператор.")


def _can_create(user) -> bool:
    try:
        _new_territory(user)
    except PermissionDenied:
        return False
    return True


def _person(user) -> str:
    if user is None:
        return "—"
    name = " ".join(part for part in (user.last_name, user.first_name) if part)  # as in the missing list
    return name or user.get_username()


def _territory_label(campaign: Campaign) -> str:
    if campaign.municipality_id:
        return campaign.municipality.name
    return f"{campaign.region.name} (региональный)"


def _errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# ---------------------------------------------------------------- the list


def _completeness_by_campaign(user, campaign_ids) -> dict[int, ind.Value]:
    """Submitted / expected of each listed campaign within the user's scope: one GROUP BY."""
    rows = (
        access.scoped(user, Submission.objects.filter(campaign__in=campaign_ids))
        .values("campaign")
        .annotate(expected=Count("id"), submitted=Count("id", filter=selectors.RESPONDED))
        .order_by()
    )
    return {row["campaign"]: ind.Value(row["submitted"], row["expected"]) for row in rows}


CAMPAIGN_COLUMNS = [  # common/tables.py; the territory and the completeness are not sortable
    tables.Column("title", "Мониторинг", ("title",)),
    tables.Column("status", "Статус", ("status",)),
    tables.Column("as_of", "Данные на", ("as_of_date",)),
    tables.Column("deadline", "Срок сдачи", ("deadline",)),
]
SUBMISSION_COLUMNS = [
    tables.Column("organization", "Организация", (natural("organization__full_name"),)),
    tables.Column("municipality", "Муниципалитет", (natural("municipality__name"),)),
    tables.Column("status", "Статус", ("status",)),
    tables.Column("submitted", "Отправлен", ("submitted_at",)),
    tables.Column("on_time", "Срок", ("on_time",)),
]


@dataclass
class CampaignRow:
    campaign: Campaign
    territory: str
    completeness: ind.Value | None
    own: Submission | None  # a curator's submission


@login_required
def campaign_list(request):
    user = request.user
    filter_form = forms.CampaignFilter(request.GET or None)
    campaigns = _campaigns(user).order_by("-as_of_date", "-pk")
    if filter_form.is_valid() and filter_form.cleaned_data["status"]:
        campaigns = campaigns.filter(status=filter_form.cleaned_data["status"])
    is_curator = access.role_of(user) == Role.CURATOR
    if _wants_xlsx(request):
        campaigns = list(campaigns)
        done = _completeness_by_campaign(user, [c.pk for c in campaigns])
        return xlsx_response(
            filename="Мониторинги.xlsx",
            title="Мониторинги",
            columns=["Наименование", "Территория", "Статус", "Данные на", "Срок сдачи", "Отчёты сданы"],
            rows=(
                [
                    c.title,
                    _territory_label(c),
                    c.get_status_display(),
                    c.as_of_date,
                    c.deadline,
                    done[c.pk].text() if c.pk in done else "",
                ]
                for c in campaigns
            ),
            user=user,
        )
    table = tables.sorted_page(
        request=request,
        queryset=campaigns,
        columns=CAMPAIGN_COLUMNS,
        page_size=PAGE_SIZE,
        list_name="monitoring:campaign-list",
    )
    page = table.page
    ids = [c.pk for c in page]
    done = _completeness_by_campaign(user, ids)
    own = {}
    if is_curator:
        mine = access.scoped(user, Submission.objects.filter(campaign__in=ids))
        own = {s.campaign_id: s for s in mine}
    rows = [CampaignRow(c, _territory_label(c), done.get(c.pk), own.get(c.pk)) for c in page]
    context = {
        "page": page,
        "table": table,
        "rows": rows,
        "filter_form": filter_form,
        "can_create": _can_create(user),
        "is_curator": is_curator,
    }
    return render(request, "monitoring/campaigns/campaign_list.html", context)


# ---------------------------------------------------------------- create and edit


@login_required
def campaign_create(request):
    user = request.user
    territory = _new_territory(user)
    form = forms.CampaignForm(
        request.POST or None,
        user=user,
        territory=territory,
        initial=None if request.method == "POST" else _new_initial(),
    )
    if request.method == "POST" and form.is_valid():
        if territory is None:  # an admin
            where = {"region": form.cleaned_data["region"], "municipality": form.cleaned_data["municipality"]}
        elif isinstance(territory, Municipality):
            where = {"municipality": territory}
        else:
            where = {"region": territory}
        try:
            campaign = svc.campaign_create(user=user, **where, **form.service_arguments())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Мониторинг создан (черновик). Проверьте его и откройте.")
            return redirect("monitoring:campaign-detail", campaign.pk)
    if territory is None:
        where_label = ""
    elif isinstance(territory, Municipality):
        where_label = f"Муниципальный мониторинг: {territory.name}."
    else:
        where_label = f"Региональный мониторинг: {territory.name}."
    context = {"form": form, "campaign": None, "where": where_label, "title": "Новый мониторинг"}
    return render(request, "monitoring/campaigns/campaign_form.html", context)


def _new_initial() -> dict:
    today = timezone.localdate()
    return {
        "period_start": today,
        "as_of_date": today,
        "method": Campaign.Method.SPREADSHEETS,
        "target_org_types": ["school"],
    }


def _add_errors(form, error: ValidationError) -> None:
    """A service's refusal next to its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def campaign_edit(request, pk):
    user = request.user
    campaign = _get_campaign(user, pk)
    if not access.can_write(user, campaign, rights.MANAGE):
        raise PermissionDenied("Изменить мониторинг может только тот, кто его проводит.")
    form = forms.CampaignForm(request.POST or None, user=user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            svc.campaign_update(user=user, campaign=campaign, **form.service_arguments())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Мониторинг сохранён.")
            return redirect("monitoring:campaign-detail", campaign.pk)
    context = {"form": form, "campaign": campaign, "title": f"Изменить: {campaign.title}"}
    return render(request, "monitoring/campaigns/campaign_form.html", context)


@login_required
@require_POST
def campaign_transition(request, pk):
    """«Открыть», «Завершить сбор», «Опубликовать» (``action``)."""
    user = request.user
    campaign = _get_campaign(user, pk)
    action = request.POST.get("action", "")
    if action not in TRANSITIONS:
        raise Http404("Нет такого действия")
    if not access.can_write(user, campaign, rights.MANAGE):
        raise PermissionDenied("Это может только тот, кто проводит мониторинг.")
    _, _, service, done = TRANSITIONS[action]
    try:
        service(user=user, campaign=campaign)
    except ValidationError as error:
        _errors_to_messages(request, error)
    else:
        messages.success(request, done)
    return redirect("monitoring:campaign-detail", campaign.pk)


@login_required
@require_POST
def campaign_remind(request, pk):
    user = request.user
    campaign = _get_campaign(user, pk)
    if not access.can_write(user, campaign, rights.REMIND):
        raise PermissionDenied("Напоминания рассылает координатор или тот, кто проводит мониторинг.")
    if request.POST.get("confirm") != "1":
        # First a confirmation page: how many letters to how many schools, then «Отправить».
        try:
            letters, organizations = svc.campaign_reminder_preview(user=user, campaign=campaign)
        except ValidationError as error:
            _errors_to_messages(request, error)
            return redirect("monitoring:campaign-detail", campaign.pk)
        return render(
            request,
            "monitoring/campaigns/campaign_remind_confirm.html",
            {
                "campaign": campaign,
                "letters": letters,
                "organizations": organizations,
                "question": (
                    f"Будет отправлено {letters} {plural(letters, 'письму', 'письмам', 'письмам')} кураторов "
                    f"{organizations} {plural(organizations, 'организации', 'организаций', 'организаций')}. "
                    "Отправить?"
                ),
            },
        )
    try:
        sent = svc.campaign_send_reminders(user=user, campaign=campaign)
    except ValidationError as error:
        _errors_to_messages(request, error)
    except OSError:  # smtplib's errors included: nothing is marked as reminded
        messages.error(
            request, "Не удалось отправить напоминания: почтовый сервер недоступен. Попробуйте позже."
        )
    else:
        if sent:
            messages.success(request, f"Напоминания отправлены: писем — {sent}.")
        else:
            messages.info(request, "Напоминать некому: у несдавших организаций нет кураторов с e-mail.")
    return redirect("monitoring:campaign-detail", campaign.pk)


# ---------------------------------------------------------------- the campaign page


class Lighted:
    """A value with its traffic light, said in words too (colour is not the only signal)."""

    light: str | None

    @property
    def light_text(self) -> str:
        return LIGHT_TEXT.get(self.light, "")

    @property
    def light_title(self) -> str:
        return ind.LIGHT_LABELS.get(self.light, "")


@dataclass
class IndicatorLine(Lighted):
    """One indicator in total: its value, target, light, and the change against the previous campaign."""

    indicator: object
    value: ind.Value
    light: str | None
    previous: ind.Value | None
    change: selectors.IndicatorChange

    @property
    def text(self) -> str:
        return value_text(self.indicator, self.value)

    @property
    def previous_text(self) -> str:
        return value_text(self.indicator, self.previous)


@dataclass
class Cell(Lighted):
    indicator: object
    value: ind.Value
    light: str | None
    rank: int | None
    change: selectors.IndicatorChange | None  # against the municipality's value in the previous campaign

    @property
    def text(self) -> str:
        return value_text(self.indicator, self.value)


def value_text(indicator, value: ind.Value | None) -> str:
    """«254 из 340, 75 %» for a share of organizations, «4 из 55, 7,3 %» for a share of people."""
    if value is None:
        return "—"
    return value.text(0 if indicator.denominator == ind.ORGANIZATIONS else 1)


@dataclass
class MunicipalityLine:
    row: selectors.TerritoryIndicators
    cells: list[Cell]


def _change(indicator, now: ind.Value, then: ind.Value | None) -> selectors.IndicatorChange:
    """As ``selectors.indicator_changes``, from reports already read (no second reading)."""
    delta = None
    if then is not None and now.measure() is not None and then.measure() is not None:
        delta = now.measure() - then.measure()
    return selectors.IndicatorChange(indicator, now, then, delta)


def _indicator_lines(report, before, compared=None) -> list[IndicatorLine]:
    """``compared``: the report the change is measured from (the organizations that answered both
    campaigns while this one is open); ``report`` itself otherwise."""
    compared = compared or report
    lines = []
    for indicator in report.indicators:
        now = report.total.values[indicator.code]
        then = before.total.values.get(indicator.code) if before is not None else None
        lines.append(
            IndicatorLine(
                indicator=indicator,
                value=now,
                light=report.light(indicator.code),
                previous=then,
                change=_change(indicator, compared.total.values[indicator.code], then),
            )
        )
    return lines


def _municipality_lines(report, before=None, compared=None) -> list[MunicipalityLine]:
    earlier = {row.municipality_id: row.values for row in before.municipalities} if before else {}
    compared_rows = {row.municipality_id: row.values for row in (compared or report).municipalities}
    ranks = {
        (indicator.code, ranked.municipality_id): ranked.rank
        for indicator in report.indicators
        for ranked in report.ranking(indicator.code)
        if ranked.value.measure() is not None
    }
    return [
        MunicipalityLine(
            row=row,
            cells=[
                Cell(
                    indicator=i,
                    value=row.values[i.code],
                    light=report.light(i.code, row),
                    rank=ranks.get((i.code, row.municipality_id)),
                    change=_change(
                        i,
                        compared_rows[row.municipality_id][i.code],
                        earlier[row.municipality_id].get(i.code),
                    )
                    if row.municipality_id in earlier and row.municipality_id in compared_rows
                    else None,
                )
                for i in report.indicators
            ],
        )
        for row in report.municipalities
    ]


def _submissions_page(request, campaign, user, municipalities):
    filter_form = forms.SubmissionFilter(request.GET or None, municipalities=municipalities)
    rows = access.scoped(user, Submission.objects.filter(campaign=campaign)).select_related(
        "organization", "municipality"
    )
    if filter_form.is_valid():
        if filter_form.cleaned_data["municipality"]:
            rows = rows.filter(municipality=filter_form.cleaned_data["municipality"])
        if filter_form.cleaned_data["status"]:
            rows = rows.filter(status=filter_form.cleaned_data["status"])
    rows = rows.order_by(natural("municipality__name"), natural("organization__full_name"), "pk")
    table = tables.sorted_page(
        request=request, queryset=rows, columns=SUBMISSION_COLUMNS, page_size=PAGE_SIZE
    )
    return filter_form, table


@login_required
def campaign_detail(request, pk):
    user = request.user
    campaign = _get_campaign(user, pk)
    if _wants_xlsx(request):
        return _campaign_export(request, campaign)
    is_curator = access.role_of(user) == Role.CURATOR
    context = {
        "campaign": campaign,
        "territory": _territory_label(campaign),
        "is_curator": is_curator,
        "can_manage": access.can_write(user, campaign, rights.MANAGE),
        "can_remind": campaign.status == CStatus.OPEN and access.can_write(user, campaign, rights.REMIND),
        "target_municipalities": []
        if campaign.municipality_id
        else list(campaign.target_municipalities.all()),
        "org_types": [
            label for value, label in Organization.OrgType.choices if value in campaign.target_org_types
        ],
    }
    if context["can_manage"]:
        context["actions"] = [
            (action, label)
            for action, (status, label, _, _) in TRANSITIONS.items()
            if status == campaign.status
        ]
    if campaign.status == CStatus.DRAFT:
        context["indicators"] = selectors.campaign_indicators(campaign)
        context["expected"] = svc.campaign_target_organizations(campaign=campaign).count()
        return render(request, "monitoring/campaigns/campaign_detail.html", context)

    # «только принятые муниципалитеты»: a regional campaign's figures over the municipalities the
    # operator accepted (docs/domain.md §5); the curator reads its own school only.
    accepted_only = campaign.is_regional and not is_curator and request.GET.get("accepted_only") == "1"
    report = selectors.indicator_report(campaign, user=user, accepted_only=accepted_only)
    previous = selectors.previous_campaign(campaign)
    before = compared = None
    if previous is not None and campaign.status == CStatus.OPEN:
        # While answers are still coming in, the change is measured over the organizations that
        # answered both campaigns: a school yet to answer does not move the figure (docs/domain.md).
        both = selectors.answered_both(campaign, previous)
        compared = selectors.indicator_report(
            campaign, user=user, organizations=both, accepted_only=accepted_only
        )
        before = selectors.indicator_report(previous, user=user, organizations=both)
    elif previous is not None:
        before = selectors.indicator_report(previous, user=user)
    context.update(
        indicators=report.indicators,
        report=report,
        lines=_indicator_lines(report, before, compared),
        previous=previous,
        compared=compared,
        collecting=campaign.status == CStatus.OPEN,
    )
    if is_curator:
        own = (
            access.scoped(user, Submission.objects.filter(campaign=campaign))
            .select_related("organization")
            .first()
        )
        if own is not None:
            own.campaign = campaign
        context.update(own=own, own_editable=own is not None and _is_editable(own))
    else:
        progress = selectors.completeness(campaign, user=user, accepted_only=accepted_only)
        municipalities = [(row.municipality_id, row.name) for row in progress.by_municipality]
        filter_form, table = _submissions_page(request, campaign, user, municipalities)
        context.update(
            accepted_only=accepted_only,
            approval_lines=_approval_lines(user, campaign, progress),
            progress=progress,
            missing=progress.missing[:MISSING_SHOWN],
            missing_more=max(len(progress.missing) - MISSING_SHOWN, 0),
            municipality_lines=_municipality_lines(report, before, compared),
            filter_form=filter_form,
            page=table.page,
            table=table,
        )
    return render(request, "monitoring/campaigns/campaign_detail.html", context)


# ---------------------------------------------------------------- the second level: municipalities

AStatus = MunicipalityApproval.Status
DECIDABLE = (AStatus.SIGNED, AStatus.ACCEPTED)
REVIEWING = (CStatus.OPEN, CStatus.CLOSED)  # the campaign's statuses in which approval moves


@dataclass
class ApprovalLine:
    """A municipality's row of the approval table: its schools accepted, its status, what the user may do."""

    row: selectors.CompletenessRow
    approval: MunicipalityApproval | None
    can_sign: bool
    can_decide: bool

    @property
    def status(self) -> str:
        return self.approval.status if self.approval else AStatus.OPEN

    @property
    def status_label(self) -> str:
        return self.approval.get_status_display() if self.approval else AStatus.OPEN.label


def _approval_of(campaign: Campaign, municipality_id: int, approval=None) -> MunicipalityApproval:
    """The stored row, or an unsaved «открыт» one for the write rules (they read its ids only)."""
    if approval is None:
        approval = MunicipalityApproval(campaign=campaign, municipality_id=municipality_id)
    approval.campaign = campaign
    return approval


def _approval_permissions(user, campaign, approval) -> tuple[bool, bool]:
    """(may sign it off now, may accept or return it now)."""
    moving = campaign.status in REVIEWING
    can_sign = (
        moving
        and approval.status in MunicipalityApproval.REOPENED
        and access.can_write(user, approval, rights.SIGN)
    )
    can_decide = moving and approval.status in DECIDABLE and access.can_write(user, approval, rights.APPROVE)
    return can_sign, can_decide


def _approval_lines(user, campaign: Campaign, progress: selectors.Completeness) -> list[ApprovalLine]:
    if progress.approval is None:
        return []
    lines = []
    for row in progress.every_municipality:
        stored = progress.approvals.get(row.municipality_id)
        can_sign, can_decide = _approval_permissions(
            user, campaign, _approval_of(campaign, row.municipality_id, stored)
        )
        lines.append(ApprovalLine(row=row, approval=stored, can_sign=can_sign, can_decide=can_decide))
    return lines


def _approval_municipality(user, campaign: Campaign, municipality_pk) -> Municipality:
    """A municipality of the campaign's targets within the user's scope, else 404."""
    targets = CampaignTarget.objects.filter(campaign=campaign).values("municipality")
    return access.get_scoped_or_404(user, Municipality.objects.filter(pk__in=targets), pk=municipality_pk)


APPROVAL_SERVICES = {
    "sign": (approval_svc.municipality_sign, "Муниципалитет подписан и передан региональному оператору."),
    "accept": (approval_svc.municipality_accept, "Муниципалитет принят."),
    "return": (approval_svc.municipality_return, "Муниципалитет возвращён координатору."),
}


@login_required
def municipality_approval(request, pk, municipality_pk):
    """A municipality of a regional campaign: its status and history; the coordinator signs it off,
    the operator accepts or returns it. A curator 403; out of scope, or a municipal campaign, 404."""
    user = request.user
    if access.role_of(user) not in (Role.COORDINATOR, Role.OPERATOR, Role.ADMIN):
        raise PermissionDenied("Приёмку муниципалитетов ведут координатор и региональный оператор.")
    campaign = _get_campaign(user, pk)
    if not campaign.is_regional or campaign.status == CStatus.DRAFT:
        raise Http404("В этом мониторинге нет приёмки муниципалитетов")
    municipality = _approval_municipality(user, campaign, municipality_pk)
    form = forms.ApprovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        service, done = APPROVAL_SERVICES[action]
        arguments = {"user": user, "campaign": campaign, "municipality": municipality}
        try:
            service(**arguments, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, done)
            return redirect(f"{reverse('monitoring:campaign-detail', args=[campaign.pk])}#approval")
    stored = MunicipalityApproval.objects.filter(campaign=campaign, municipality=municipality).first()
    approval = _approval_of(campaign, municipality.pk, stored)
    can_sign, can_decide = _approval_permissions(user, campaign, approval)
    missing, expected = approval_svc.not_accepted_count(campaign=campaign, municipality=municipality)
    events = (
        MunicipalityApprovalEvent.objects.filter(approval=stored).select_related("user").order_by("at", "pk")
        if stored
        else []
    )
    context = {
        "campaign": campaign,
        "municipality": municipality,
        "approval": approval,
        "stored": stored,
        "expected": expected,
        "accepted": expected - missing,
        "missing": missing,
        "can_sign": can_sign,
        "can_decide": can_decide,
        "form": form,
        "events": [(event, _person(event.user)) for event in events],
        "signed_by": _person(stored.signed_by) if stored and stored.signed_by_id else "",
    }
    return render(request, "monitoring/campaigns/municipality_approval.html", context)


# ---------------------------------------------------------------- the campaign page's exports

COMPLETENESS_COLUMNS = [
    "Муниципалитет",
    "Ожидается отчётов",
    "Отправлено",
    "Отправлено, %",
    "Принято",
    "Возвращено на доработку",
    "В срок",
    "С опозданием",
    "Не отправлено",
]


def _percent(value: ind.Value) -> float | None:
    percent = value.percent
    return float(percent) if percent is not None else None


def _completeness_cells(row) -> list:
    return [
        row.name,
        row.expected,
        row.submitted,
        _percent(row.value),
        row.accepted,
        row.returned,
        row.on_time,
        row.late,
        row.not_submitted,
    ]


def _indicator_columns(indicators) -> list[str]:
    columns = []
    for i in indicators:
        if i.unit == "count":
            columns.append(f"{i.code}. {i.name}")
        else:
            columns += [f"{i.code}: числитель", f"{i.code}: знаменатель", f"{i.code}, %"]
    return columns


def _indicator_cells(indicators, values) -> list:
    cells = []
    for i in indicators:
        value = values.get(i.code)
        if i.unit == "count":
            cells.append(value.numerator if value is not None else None)
        elif value is None:
            cells += [None, None, None]
        else:
            cells += [value.numerator, value.denominator, _percent(value)]
    return cells


def _campaign_export(request, campaign: Campaign):
    user = request.user
    table = request.GET.get("table", "")
    # The title names the sheet too (its first 31 characters), where Excel refuses : \\ / ? * [ ].
    stamp = re.sub(r"[:\\/?*\[\]]", " ", f"{campaign.title} — данные на {ru_date(campaign.as_of_date)}")
    # As the page shows it: «только принятые муниципалитеты» (a regional campaign, not a curator).
    accepted_only = (
        campaign.is_regional
        and access.role_of(user) != Role.CURATOR
        and request.GET.get("accepted_only") == "1"
    )
    if accepted_only:
        stamp = f"{stamp} (только принятые муниципалитеты)"
    if table == "completeness":
        progress = selectors.completeness(
            campaign, user=user, with_missing=False, accepted_only=accepted_only
        )
        return xlsx_response(
            filename="Полнота сдачи отчётов.xlsx",
            title=f"Полнота сдачи отчётов — {stamp}",
            columns=COMPLETENESS_COLUMNS,
            rows=[
                *(_completeness_cells(r) for r in progress.by_municipality),
                _completeness_cells(progress.total),
            ],
            user=user,
        )
    if table == "missing":
        missing = selectors.missing_organizations(campaign, user=user)
        return xlsx_response(
            filename="Не сдали отчёт.xlsx",
            title=f"Не сдали отчёт — {stamp}",
            columns=[
                "Организация",
                "Код ОО",
                "Муниципалитет",
                "Статус отчёта",
                "Комментарий координатора",
                "Кураторы",
                "E-mail кураторов",
                "Последнее напоминание",
            ],
            rows=(
                [
                    m.name,
                    m.code,
                    m.municipality_name,
                    m.status_label,
                    m.coordinator_comment,
                    "; ".join(c.name for c in m.curators),
                    "; ".join(c.email for c in m.curators if c.email),
                    m.last_reminded_at,
                ]
                for m in missing
            ),
            user=user,
        )
    if table == "indicators":
        report = selectors.indicator_report(campaign, user=user, accepted_only=accepted_only)
        lines = _municipality_lines(report)
        columns = [
            "Муниципалитет",
            "Организаций",
            "Представили отчёт",
            *_indicator_columns(report.indicators),
        ]
        for i in report.indicators:
            columns.append(f"{i.code}: место")
        rows = [
            [
                line.row.name,
                line.row.expected,
                line.row.responded,
                *_indicator_cells(report.indicators, line.row.values),
                *(cell.rank for cell in line.cells),
            ]
            for line in lines
        ]
        total = report.total
        rows.append(
            [
                f"Итого: {total.name}",
                total.expected,
                total.responded,
                *_indicator_cells(report.indicators, total.values),
            ]
        )
        return xlsx_response(
            filename="Показатели мониторинга.xlsx",
            title=f"Показатели — {stamp}",
            columns=columns,
            rows=rows,
            user=user,
        )
    if table == "submissions":
        indicators = selectors.campaign_indicators(campaign)
        rows = selectors.organization_indicators(campaign, user=user)
        return xlsx_response(
            filename="Отчёты организаций.xlsx",
            title=f"Отчёты организаций — {stamp}",
            columns=[
                "Организация",
                "Код ОО",
                "Муниципалитет",
                "Статус отчёта",
                *_indicator_columns(indicators),
            ],
            rows=(
                [r.name, r.code, r.municipality_name, r.status_label, *_indicator_cells(indicators, r.values)]
                for r in rows
            ),
            user=user,
        )
    raise Http404("Нет такой таблицы")


# ---------------------------------------------------------------- submissions


@dataclass
class FigureLine:
    figure: selectors.FigureRow
    source: str  # «из реестра на 16.12.2022» / «введено»
    registry_note: str  # «в реестре на 16.12.2022: 40» for an entered value the registry knew otherwise


def _line(row: selectors.FigureRow, as_of: datetime.date) -> FigureLine:
    if row.source == "registry":
        return FigureLine(row, f"из реестра на {ru_date(as_of)}", "")
    known = row.registry_value is not None
    note = f"в реестре на {ru_date(as_of)}: {_shown(row, row.registry_value)}" if known else ""
    return FigureLine(row, "введено", note)


def _shown(row, value) -> str:
    if value is None:
        return "—"
    if row.kind == "yes_no":
        return "да" if value else "нет"
    return str(value)


def _events(submission: Submission) -> list[SubmissionEvent]:
    return list(
        SubmissionEvent.objects.filter(submission=submission).select_related("user").order_by("at", "pk")
    )


def _is_editable(submission: Submission) -> bool:
    return submission.campaign.status == CStatus.OPEN and submission.status in EDITABLE_SUBMISSION


def _is_late(submission: Submission) -> bool:
    return timezone.localdate() > submission.campaign.deadline


def _level_of(submission: Submission) -> str | None:
    """The approval status of the submission's municipality in a regional campaign (None: no row)."""
    if not submission.campaign.is_regional:
        return None
    return (
        MunicipalityApproval.objects.filter(
            campaign=submission.campaign_id, municipality=submission.municipality_id
        )
        .values_list("status", flat=True)
        .first()
    )


def _submission_context(user, submission: Submission, review_form=None) -> dict:
    can_review = access.can_write(user, submission, rights.REVIEW)
    level = _level_of(submission) if can_review else None
    # A municipality signed off (or accepted) locks its schools; returned by the operator, it lets the
    # coordinator return even an accepted school (docs/domain.md §5).
    can_review = can_review and level not in DECIDABLE
    reviewable = can_review and submission.campaign.status in (CStatus.OPEN, CStatus.CLOSED)
    returnable = (
        can_review
        and submission.campaign.status == CStatus.OPEN
        and (
            submission.status == SStatus.SUBMITTED
            or (submission.status == SStatus.DRAFT and _is_late(submission))
            or (submission.status == SStatus.ACCEPTED and level == AStatus.RETURNED)
        )
    )
    return {
        "submission": submission,
        "campaign": submission.campaign,
        "lines": [
            (line, _shown(line.figure, line.figure.value))
            for line in (
                _line(row, submission.campaign.as_of_date) for row in selectors.submission_figures(submission)
            )
        ],
        "events": [(e, _person(e.user)) for e in _events(submission)],
        "can_fill": access.can_write(user, submission, rights.FILL) and _is_editable(submission),
        "can_accept": reviewable and submission.status == SStatus.SUBMITTED,
        "can_return": returnable,
        "review_form": review_form or forms.ReviewForm(),
        "submitted_by": _person(submission.submitted_by) if submission.submitted_by_id else "",
        "accepted_by": _person(submission.accepted_by) if submission.accepted_by_id else "",
    }


@login_required
def submission_detail(request, pk):
    submission = _get_submission(request.user, pk)
    return render(
        request, "monitoring/campaigns/submission_detail.html", _submission_context(request.user, submission)
    )


@login_required
def submission_edit(request, pk):
    """The curator's form: «Сохранить» keeps a draft, «Отправить» sends it; refusals re-show the form."""
    user = request.user
    submission = _get_submission(user, pk)
    if not access.can_write(user, submission, rights.FILL):
        raise PermissionDenied("Заполнить отчёт может только куратор ОО.")
    if request.method != "POST" and not _is_editable(submission):
        return redirect("monitoring:submission-detail", submission.pk)
    figures = selectors.submission_figures(submission)
    initial = {"curator_comment": submission.curator_comment}
    form = forms.SubmissionForm(request.POST or None, figures=figures, initial=initial)
    if request.method == "POST" and form.is_valid():
        sending = request.POST.get("action") == "submit"
        try:
            if sending:
                svc.submission_submit(
                    user=user,
                    submission=submission,
                    values=form.entries(),
                    comment=form.cleaned_data["curator_comment"],
                )
            else:
                svc.submission_save_values(user=user, submission=submission, entries=form.entries())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if sending:
                messages.success(request, "Отчёт отправлен координатору.")
                return redirect("monitoring:submission-detail", submission.pk)
            messages.success(request, "Отчёт сохранён (не отправлен).")
            return redirect("monitoring:submission-edit", submission.pk)
    as_of = submission.campaign.as_of_date
    context = {
        "submission": submission,
        "campaign": submission.campaign,
        "form": form,
        "rows": [(_line(row, as_of), value, comment, url) for row, value, comment, url in form.rows()],
        "late": submission.status == SStatus.DRAFT and _is_late(submission),
    }
    return render(request, "monitoring/campaigns/submission_form.html", context)


@login_required
@require_POST
def submission_review(request, pk):
    """«Принять» or «Вернуть на доработку» (with what to fix)."""
    user = request.user
    submission = _get_submission(user, pk)
    if not access.can_write(user, submission, rights.REVIEW):
        raise PermissionDenied("Принять или вернуть отчёт может координатор или региональный оператор.")
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
        try:
            if action == "accept":
                svc.submission_accept(user=user, submission=submission, comment=comment)
            else:
                svc.submission_return(user=user, submission=submission, comment=comment)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            done = "Отчёт принят." if action == "accept" else "Отчёт возвращён на доработку."
            messages.success(request, done)
            return redirect("monitoring:submission-detail", submission.pk)
    return render(
        request,
        "monitoring/campaigns/submission_detail.html",
        _submission_context(user, submission, review_form=form),
    )


# ---------------------------------------------------------------- for the dashboard


urlpatterns = [
    path("campaigns/", campaign_list, name="campaign-list"),
    path("campaigns/new/", campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/status/", campaign_transition, name="campaign-transition"),
    path("campaigns/<int:pk>/remind/", campaign_remind, name="campaign-remind"),
    path(
        "campaigns/<int:pk>/municipalities/<int:municipality_pk>/",
        municipality_approval,
        name="campaign-approval",
    ),
    path("submissions/<int:pk>/", submission_detail, name="submission-detail"),
    path("submissions/<int:pk>/edit/", submission_edit, name="submission-edit"),
    path("submissions/<int:pk>/review/", submission_review, name="submission-review"),
]
