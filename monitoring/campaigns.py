"""Writes to monitoring campaigns and submissions: the campaign's life and each submission's workflow.

Campaign: черновик → открыт → сбор завершён → опубликован (``campaign_create``, ``campaign_open``,
``campaign_close``, ``campaign_publish``). Opening freezes the expected organizations and gives each a
draft submission pre-filled from the registry.

Submission: не отправлен → отправлен → принят, with «возвращён на доработку» in between
(``submission_save_values``, ``submission_submit``, ``submission_return``, ``submission_accept``).
In a regional campaign a municipality signed off by its coordinator (or accepted by the operator)
locks its schools: accepting or returning them is refused until the operator returns it
(``monitoring.approval``). Every transition is a ``SubmissionEvent`` (who, when, from → to,
comment); campaigns, submissions and their values keep their history (django-simple-history)
with the user who changed them.

Rules:
- a submission is refused after the deadline, unless the coordinator returned it (a returned
  submission may be sent again at any time while the campaign is open); an accepted submission is
  locked; nothing is sent once the campaign's collection is closed. ``submission_submit`` and
  ``campaign_close`` both lock the campaign row first (``select_for_update``), so a submission
  racing the close either lands before it or is refused;
- a figure outside its plausible range is refused: negative, more than its bound (mentees more
  than the students of the school's headcount), a numerator over its denominator; a figure that
  differs from the registry needs a comment; a «да» that needs a link needs its link;
- who may do what: objects outside the user's scope (``registry.access``) raise ``Http404``, so
  that a coordinator cannot even detect another municipality's campaign; a user who sees the
  object but may not change it (``access.can_write`` with the rules of ``monitoring.rights``) raises
  ``PermissionDenied``; broken rules raise ``ValidationError``.
  All messages are in Russian.

``at`` (a timezone-aware datetime, default now) exists for tests and the demo loader, which
replay campaigns of past years; screens never pass it.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from common.formats import ru_date
from registry import access
from registry.models import Municipality, Organization, Region, UserScope

from . import approval, rights
from . import indicators as ind
from .models import Campaign, CampaignTarget, Indicator, Submission, SubmissionEvent, SubmissionValue

Role = UserScope.Role
CStatus = Campaign.Status
SStatus = Submission.Status

NOT_FOUND = "Объект не найден"

# Fields of a campaign set on creation and by ``campaign_update`` (relations are separate arguments).
TEXT_FIELDS = {
    "title",
    "organizer",
    "basis_number",
    "basis_date",
    "basis_title",
    "basis_text",
    "other_basis",
    "goal",
    "method",
    "method_text",
    "processing_text",
    "use_of_results",
    "publish_by",
}
DATE_FIELDS = {"period_start", "period_end", "as_of_date", "deadline"}
CAMPAIGN_FIELDS = TEXT_FIELDS | DATE_FIELDS | {"target_org_types"}
# What may still change once the campaign is open: the texts, the period's end and the deadline.
EDITABLE_WHEN_OPEN = TEXT_FIELDS | {"period_end", "deadline"}


# ---------------------------------------------------------------- who may do what


def _now(at: datetime.datetime | None) -> datetime.datetime:
    return at or timezone.now()


def _require_visible(user, obj) -> None:
    """Http404 unless ``obj`` is within ``user``'s scope (``registry.access``)."""
    model = type(obj)
    if not access.scoped(user, model._default_manager.filter(pk=obj.pk)).exists():
        raise Http404(NOT_FOUND)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _refuse(message: str, field: str | None = None):
    raise ValidationError({field: message} if field else message)


def _lock_campaign(user, campaign_id: int) -> Campaign:
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("region", "municipality")
        .get(pk=campaign_id)
    )
    _require_visible(user, campaign)
    return campaign


def _lock_submission(user, submission: Submission) -> tuple[Campaign, Submission]:
    """Lock the campaign, then the submission (always in this order: no deadlocks)."""
    _require_visible(user, submission)
    campaign = Campaign.objects.select_for_update().get(pk=submission.campaign_id)
    locked = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=submission.pk)
    )
    locked.campaign = campaign
    return campaign, locked


def _save(obj, user, **kwargs) -> None:
    obj._history_user = user if getattr(user, "is_authenticated", False) else None
    obj.save(**kwargs)


# ---------------------------------------------------------------- campaigns


def _indicator_list(items) -> list[Indicator]:
    items = list(items or [])
    codes = [i for i in items if isinstance(i, str)]
    found = {i.code: i for i in Indicator.objects.filter(code__in=codes)} if codes else {}
    missing = [code for code in codes if code not in found]
    if missing:
        _refuse(f"Неизвестные показатели: {', '.join(missing)}.", "indicators")
    result = [found[i] if isinstance(i, str) else i for i in items]
    inactive = [i.code for i in result if not i.is_active]
    if inactive:
        _refuse(f"Показатели больше не используются: {', '.join(inactive)}.", "indicators")
    return result


def _target_municipalities(campaign: Campaign, municipalities) -> list[Municipality]:
    if campaign.municipality_id:
        if municipalities and {m.pk for m in municipalities} != {campaign.municipality_id}:
            _refuse("Муниципальный мониторинг охватывает только свой муниципалитет.", "target_municipalities")
        return [campaign.municipality]
    if not municipalities:
        return list(Municipality.objects.filter(region=campaign.region_id))
    municipalities = list(municipalities)
    if any(m.region_id != campaign.region_id for m in municipalities):
        _refuse("Муниципалитет относится к другому региону.", "target_municipalities")
    return municipalities


def campaign_create(
    *,
    user,
    region: Region | None = None,
    municipality: Municipality | None = None,
    indicators=(),
    target_municipalities=None,
    **fields,
) -> Campaign:
    """A draft campaign. ``municipality`` set: a coordinator's municipal campaign; else the region's.

    ``fields``: title, basis_number, basis_date, basis_title, basis_text, other_basis, organizer,
    goal, method, method_text, processing_text, use_of_results, period_start, period_end,
    as_of_date, deadline, publish_by, target_org_types. ``indicators``: Indicator rows or codes.
    ``target_municipalities``: of a regional campaign (default: all of the region).
    """
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise TypeError(f"campaign_create() got unexpected fields: {', '.join(sorted(unknown))}")
    if municipality is not None:
        if region is not None and region.pk != municipality.region_id:
            _refuse("Муниципалитет относится к другому региону.", "municipality")
        region = municipality.region
    if region is None:
        scope = access.user_scope(user)
        region = scope.region if scope is not None and scope.region_id else None
        if region is None:
            _refuse("Укажите регион или муниципалитет мониторинга.", "region")
    _require_visible(user, municipality or region)
    _require(
        access.can_write(user, Campaign(region=region, municipality=municipality), rights.CREATE),
        "Муниципальный мониторинг создаёт муниципальный координатор, региональный — региональный оператор.",
    )
    campaign = Campaign(region=region, municipality=municipality, created_by=user, **fields)
    campaign.full_clean()
    chosen = _indicator_list(indicators)
    with transaction.atomic():
        _save(campaign, user)
        campaign.target_municipalities.set(_target_municipalities(campaign, target_municipalities))
        campaign.indicators.set(chosen)
    return campaign


def campaign_update(
    *, user, campaign: Campaign, indicators=None, target_municipalities=None, **fields
) -> Campaign:
    """Change a campaign: anything while a draft; once open only its texts, period end and deadline."""
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise TypeError(f"campaign_update() got unexpected fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        campaign = _lock_campaign(user, campaign.pk)
        _require(
            access.can_write(user, campaign, rights.MANAGE),
            "Изменить мониторинг может только тот, кто его проводит.",
        )
        if campaign.status == CStatus.PUBLISHED:
            _refuse("Мониторинг опубликован: изменить его нельзя.")
        if campaign.status != CStatus.DRAFT:
            frozen = set(fields) - (EDITABLE_WHEN_OPEN if campaign.status == CStatus.OPEN else TEXT_FIELDS)
            if frozen or indicators is not None or target_municipalities is not None:
                _refuse(
                    "Мониторинг уже открыт: организации, показатели и дата, на которую берутся данные, "
                    "зафиксированы; после завершения сбора можно менять только тексты."
                )
        for name, value in fields.items():
            setattr(campaign, name, value)
        campaign.full_clean()
        _save(campaign, user)
        if target_municipalities is not None:
            campaign.target_municipalities.set(_target_municipalities(campaign, target_municipalities))
        if indicators is not None:
            campaign.indicators.set(_indicator_list(indicators))
    return campaign


def campaign_target_organizations(*, campaign: Campaign):
    """The organizations a draft campaign would expect (frozen into ``CampaignTarget`` on opening)."""
    return Organization.objects.filter(
        municipality__region=campaign.region_id,
        municipality__in=campaign.target_municipalities.all(),
        org_type__in=campaign.target_org_types,
    )


def campaign_open(*, user, campaign: Campaign, at: datetime.datetime | None = None) -> Campaign:
    """Open: freeze the expected organizations; give each a draft submission pre-filled from the registry.

    Registry figures are taken as of ``campaign.as_of_date`` (mentors and mentees per form,
    distinct; the headcount of its school year). A fixed number of queries whatever the size.
    """
    at = _now(at)
    with transaction.atomic():
        campaign = _lock_campaign(user, campaign.pk)
        _require(
            access.can_write(user, campaign, rights.MANAGE),
            "Открыть мониторинг может только тот, кто его проводит.",
        )
        if campaign.status != CStatus.DRAFT:
            _refuse("Мониторинг уже открыт.")
        chosen = list(campaign.indicators.all())
        if not chosen:
            _refuse("Выберите хотя бы один показатель.", "indicators")
        if campaign.deadline < timezone.localdate(at):
            _refuse(f"Срок сдачи отчётов ({ru_date(campaign.deadline)}) уже прошёл.", "deadline")
        figures = ind.catalogue()
        broken = [i.code for i in chosen if ind.check_definition(i, figures)]
        if broken:
            _refuse(f"Формула показателя не проверена: {', '.join(broken)}.", "indicators")
        targets = list(
            campaign_target_organizations(campaign=campaign)
            .values_list("pk", "municipality_id")
            .order_by("pk")
        )
        if not targets:
            _refuse("Под условия мониторинга не подходит ни одна организация.")

        CampaignTarget.objects.bulk_create(
            [CampaignTarget(campaign=campaign, organization_id=o, municipality_id=m) for o, m in targets],
            batch_size=2000,
        )
        # Submissions and their values are audited: created with their history rows (docs/reliability.md #59).
        history = {"default_user": user, "default_change_reason": "открытие мониторинга", "default_date": at}
        submissions = bulk_create_with_history(
            [Submission(campaign=campaign, organization_id=o, municipality_id=m) for o, m in targets],
            Submission,
            batch_size=2000,
            **history,
        )
        codes = ind.submission_figures(chosen, figures)
        known = ind.registry_values(
            as_of=campaign.as_of_date,
            organizations=CampaignTarget.objects.filter(campaign=campaign).values("organization"),
            codes=codes,
            figures=figures,
            period=(campaign.period_start, campaign.period_end),
        )
        values = []
        for submission in submissions:
            for code in codes:
                default = ind.registry_default(code, figures[code])
                registry_value, url = known.get((submission.organization_id, code), (default, ""))
                values.append(
                    SubmissionValue(
                        submission=submission,
                        figure=code,
                        value=registry_value,
                        registry_value=registry_value,
                        url=url,
                        source=SubmissionValue.Source.ENTERED
                        if registry_value is None
                        else SubmissionValue.Source.REGISTRY,
                    )
                )
        bulk_create_with_history(values, SubmissionValue, batch_size=5000, **history)
        campaign.status = CStatus.OPEN
        campaign.opened_at = at
        campaign.opened_by = user
        _save(campaign, user)
    return campaign


def campaign_close(*, user, campaign: Campaign, at: datetime.datetime | None = None) -> Campaign:
    """«Сбор завершён»: no more submissions (a submission racing this waits for the lock, then is refused)."""
    with transaction.atomic():
        campaign = _lock_campaign(user, campaign.pk)
        _require(
            access.can_write(user, campaign, rights.MANAGE),
            "Завершить сбор может только тот, кто проводит мониторинг.",
        )
        if campaign.status != CStatus.OPEN:
            status = campaign.get_status_display()
            _refuse(f"Завершить сбор можно только у открытого мониторинга (сейчас: «{status}»).")
        campaign.status = CStatus.CLOSED
        campaign.closed_at = _now(at)
        campaign.closed_by = user
        _save(campaign, user)
    return campaign


def campaign_publish(*, user, campaign: Campaign, at: datetime.datetime | None = None) -> Campaign:
    """«Опубликован»: the figures are final."""
    with transaction.atomic():
        campaign = _lock_campaign(user, campaign.pk)
        _require(
            access.can_write(user, campaign, rights.MANAGE),
            "Опубликовать мониторинг может только тот, кто его проводит.",
        )
        if campaign.status != CStatus.CLOSED:
            _refuse("Опубликовать можно только мониторинг, сбор по которому завершён.")
        campaign.status = CStatus.PUBLISHED
        campaign.published_at = _now(at)
        campaign.published_by = user
        _save(campaign, user)
    return campaign


# ---------------------------------------------------------------- submissions: values


def _is_late(campaign: Campaign, at: datetime.datetime) -> bool:
    return timezone.localdate(at) > campaign.deadline


MAX_VALUE = 10_000_000  # more people than any region has: a typo
LOCKED = "Отчёт принят и заблокирован: изменить его нельзя."


def _late_message(campaign: Campaign) -> str:
    return (
        f"Срок сдачи отчётов истёк {ru_date(campaign.deadline)}: отправить отчёт можно, только если "
        "координатор вернёт его на доработку."
    )


def _require_editable(campaign: Campaign, submission: Submission, at: datetime.datetime) -> None:
    if campaign.status == CStatus.DRAFT:
        _refuse("Мониторинг ещё не открыт.")
    if campaign.status != CStatus.OPEN:
        _refuse("Сбор отчётов завершён: отправить или изменить отчёт нельзя.")
    if submission.status == SStatus.ACCEPTED:
        _refuse(LOCKED)
    if submission.status == SStatus.SUBMITTED:
        _refuse("Отчёт уже отправлен и ждёт проверки координатором.")
    if submission.status == SStatus.DRAFT and _is_late(campaign, at):
        _refuse(_late_message(campaign))


def _parse(raw) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        text = raw.strip().replace("\xa0", "").replace(" ", "")
        if text.lower() in ("да", "нет"):
            return int(text.lower() == "да")
        if text.lstrip("-").isdigit():
            return int(text)
    raise ValueError


def _check(rows: dict[str, SubmissionValue], figures, chosen, *, complete: bool) -> dict[str, list[str]]:
    """The plausibility rules over a submission's values (see the module's docstring)."""
    errors: dict[str, list[str]] = {}

    def add(code, message):
        errors.setdefault(code, []).append(message)

    def name(code):
        return figures[code].name if code in figures else code

    for code, row in rows.items():
        figure = figures.get(code)
        if figure is None:
            continue
        if row.value is None:
            if complete:
                add(code, f"{figure.name}: заполните.")
            continue
        if row.differs_from_registry and not row.comment.strip():
            add(
                code,
                f"{figure.name}: {row.value} отличается от данных реестра ({row.registry_value}) — "
                "поясните в комментарии.",
            )
        if figure.needs_url and row.value == 1 and not row.url:
            add(code, f"{figure.name}: укажите ссылку на страницу сайта.")
        bound = rows.get(figure.bound) if figure.bound else None
        if bound is not None and bound.value is not None and row.value > bound.value:
            add(code, f"{figure.name}: {row.value} — больше, чем «{name(figure.bound)}» ({bound.value}).")
    for indicator in chosen:
        numerator, denominator = rows.get(indicator.numerator), rows.get(indicator.denominator)
        if numerator is None or denominator is None or numerator.value is None or denominator.value is None:
            continue
        if numerator.value > denominator.value and indicator.numerator not in errors:
            add(
                indicator.numerator,
                f"Показатель «{indicator.name}»: «{name(indicator.numerator)}» ({numerator.value}) больше, "
                f"чем «{name(indicator.denominator)}» ({denominator.value}).",
            )
    return errors


def _apply(user, submission: Submission, entries: dict, figures, chosen, *, complete: bool) -> None:
    """Write ``entries`` ({code: value or {"value", "comment", "url"}}) after checking all the values."""
    rows = {row.figure: row for row in SubmissionValue.objects.filter(submission=submission)}
    before = {code: (row.value, row.comment, row.url) for code, row in rows.items()}
    errors: dict[str, list[str]] = {}
    check_url = URLValidator(schemes=["http", "https"])
    for code, entry in (entries or {}).items():
        row = rows.get(code)
        if row is None:
            errors.setdefault(code, []).append(f"Величина «{code}» не входит в этот мониторинг.")
            continue
        figure = figures.get(code) or ind.Figure(code, code)
        entry = entry if isinstance(entry, dict) else {"value": entry}
        try:
            value = _parse(entry.get("value"))
        except ValueError:
            errors.setdefault(code, []).append(f"{figure.name}: введите целое число.")
            continue
        if value is not None and value < 0:
            errors.setdefault(code, []).append(f"{figure.name}: число не может быть отрицательным.")
            continue
        if value is not None and value > MAX_VALUE:
            errors.setdefault(code, []).append(f"{figure.name}: слишком большое число.")
            continue
        if figure.is_yes_no and value not in (None, 0, 1):
            errors.setdefault(code, []).append(f"{figure.name}: ответьте «да» или «нет».")
            continue
        row.value = value
        if "comment" in entry:
            row.comment = (entry["comment"] or "").strip()
        if "url" in entry:
            url = (entry["url"] or "").strip()
            if url and "://" not in url:
                url = f"https://{url}"
            if url:
                try:
                    check_url(url)
                except ValidationError:
                    errors.setdefault(code, []).append(f"{figure.name}: ссылка указана неверно.")
                    continue
            row.url = url
    for code, messages in _check(rows, figures, chosen, complete=complete).items():
        errors.setdefault(code, []).extend(m for m in messages if m not in errors.get(code, []))
    if errors:
        raise ValidationError(errors)
    for code, row in rows.items():
        if before[code] == (row.value, row.comment, row.url):
            continue
        same = row.registry_value is not None and row.value == row.registry_value
        row.source = SubmissionValue.Source.REGISTRY if same else SubmissionValue.Source.ENTERED
        _save(row, user)  # one row at a time: each change is kept in the values' history


def submission_save_values(
    *, user, submission: Submission, entries: dict, at: datetime.datetime | None = None
) -> Submission:
    """Save a draft (or returned) submission's values without sending it; rules as in ``submission_submit``.

    ``entries``: {figure code: value} or {figure code: {"value": …, "comment": …, "url": …}};
    a value is an int, «да» / «нет», a bool or None (not filled in yet).
    """
    at = _now(at)
    with transaction.atomic():
        campaign, submission = _lock_submission(user, submission)
        _require(
            access.can_write(user, submission, rights.FILL),
            "Заполнить отчёт может только куратор ОО.",
        )
        _require_editable(campaign, submission, at)
        figures = ind.catalogue()
        _apply(user, submission, entries, figures, list(campaign.indicators.all()), complete=False)
        _save(submission, user)  # updated_at
    return submission


def _log(submission: Submission, user, at, from_status: str, comment: str = "") -> None:
    SubmissionEvent.objects.create(
        submission=submission,
        user=user if getattr(user, "is_authenticated", False) else None,
        at=at,
        from_status=from_status,
        to_status=submission.status,
        comment=comment,
    )


def submission_submit(
    *,
    user,
    submission: Submission,
    values: dict | None = None,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> Submission:
    """The curator sends the submission (with last changes in ``values``).

    «В срок» is decided by the first sending: a school that sent on time and was returned for
    rework stays on time.
    """
    at = _now(at)
    with transaction.atomic():
        campaign, submission = _lock_submission(user, submission)
        _require(
            access.can_write(user, submission, rights.FILL),
            "Отправить отчёт может только куратор ОО.",
        )
        _require_editable(campaign, submission, at)
        figures = ind.catalogue()
        _apply(user, submission, values or {}, figures, list(campaign.indicators.all()), complete=True)
        from_status = submission.status
        submission.status = SStatus.SUBMITTED
        submission.submitted_at = at
        submission.submitted_by = user
        if submission.first_submitted_at is None:
            submission.first_submitted_at = at
            submission.on_time = not _is_late(campaign, at)
        if comment.strip():
            submission.curator_comment = comment.strip()
        _save(submission, user)
        _log(submission, user, at, from_status, comment.strip())
    return submission


def submission_return(
    *, user, submission: Submission, comment: str, at: datetime.datetime | None = None
) -> Submission:
    """Back to the curator for rework, with what to fix; keeps its values and history.

    Also after the deadline, for a school that has not sent anything yet: returning its draft
    lets it send late (it then counts as late).
    """
    at = _now(at)
    with transaction.atomic():
        campaign, submission = _lock_submission(user, submission)
        _require(
            access.can_write(user, submission, rights.REVIEW),
            "Вернуть отчёт может муниципальный координатор или региональный оператор.",
        )
        if campaign.status != CStatus.OPEN:
            _refuse("Сбор отчётов завершён: вернуть отчёт на доработку нельзя.")
        level = approval.require_reopened(campaign=campaign, municipality_id=submission.municipality_id)
        # An accepted report is final, unless the operator returned its municipality (docs/domain.md §5).
        if submission.status == SStatus.ACCEPTED and level != approval.AStatus.RETURNED:
            _refuse(LOCKED)
        if submission.status == SStatus.RETURNED:
            _refuse("Отчёт уже возвращён на доработку.")
        if submission.status == SStatus.DRAFT and not _is_late(campaign, at):
            _refuse(
                "Отчёт ещё не отправлен: вернуть можно отправленный отчёт (или неотправленный — после срока)."
            )
        if not (comment or "").strip():
            _refuse("Укажите, что нужно исправить.", "comment")
        from_status = submission.status
        submission.status = SStatus.RETURNED
        submission.coordinator_comment = comment.strip()
        _save(submission, user)
        _log(submission, user, at, from_status, comment.strip())
    return submission


def submission_accept(
    *, user, submission: Submission, comment: str = "", at: datetime.datetime | None = None
) -> Submission:
    """The coordinator (or operator) accepts a sent submission: it is locked from then on."""
    at = _now(at)
    with transaction.atomic():
        campaign, submission = _lock_submission(user, submission)
        _require(
            access.can_write(user, submission, rights.REVIEW),
            "Принять отчёт может муниципальный координатор или региональный оператор.",
        )
        if campaign.status not in (CStatus.OPEN, CStatus.CLOSED):
            _refuse("Мониторинг опубликован: принимать отчёты поздно.")
        approval.require_reopened(campaign=campaign, municipality_id=submission.municipality_id)
        if submission.status == SStatus.ACCEPTED:
            _refuse("Отчёт уже принят.")
        if submission.status != SStatus.SUBMITTED:
            _refuse("Принять можно только отправленный отчёт.")
        from_status = submission.status
        submission.status = SStatus.ACCEPTED
        submission.accepted_at = at
        submission.accepted_by = user
        if comment.strip():
            submission.coordinator_comment = comment.strip()
        _save(submission, user)
        _log(submission, user, at, from_status, comment.strip())
    return submission


# ---------------------------------------------------------------- reminders


def _reminders(user, campaign: Campaign) -> list:
    """(submission id, the organization's row, its curators' e-mails) of every organization in the
    user's scope that has not sent its submission and has a curator with an e-mail."""
    from .selectors import missing_organizations

    _require_visible(user, campaign)
    _require(
        access.can_write(user, campaign, rights.REMIND),
        "Напоминания рассылает координатор или тот, кто проводит мониторинг.",
    )
    if campaign.status != CStatus.OPEN:
        _refuse("Напоминать можно только по открытому мониторингу.")
    rows = []
    for row in missing_organizations(campaign, user=user):
        emails = [c.email for c in row.curators if c.email]
        if emails:
            rows.append((row, emails))
    return rows


def campaign_reminder_preview(*, user, campaign: Campaign) -> tuple[int, int]:
    """(letters, organizations) «Напомнить» would send: what the confirmation page asks about."""
    rows = _reminders(user, campaign)
    return sum(len(emails) for _, emails in rows), len(rows)


def campaign_send_reminders(*, user, campaign: Campaign, at: datetime.datetime | None = None) -> int:
    """E-mail the curators of every organization (within the user's scope) that has not sent its submission.

    Each letter carries the direct (absolute, ``settings.PORTAL_BASE_URL``) link to the school's
    submission page. Returns the number of letters sent; marks the submissions as reminded.
    """
    at = _now(at)
    rows = _reminders(user, campaign)
    subject = f"Напоминание: мониторинг «{campaign.title}», срок — {ru_date(campaign.deadline)}"
    letters, reminded = [], []
    for row, emails in rows:
        status = "возвращён на доработку" if row.status == SStatus.RETURNED else "ещё не отправлен"
        link = settings.PORTAL_BASE_URL + reverse("monitoring:submission-detail", args=[row.submission_id])
        body = (
            "Здравствуйте!\n\n"
            f"Отчёт организации «{row.name}» по мониторингу «{campaign.title}» {status}.\n"
            f"Срок сдачи — {ru_date(campaign.deadline)}.\n"
            "Данные реестра уже внесены в отчёт: проверьте их, дополните и отправьте.\n"
            f"\nОтчёт организации: {link}\n"
        )
        if row.status == SStatus.RETURNED and row.coordinator_comment:
            body += f"\nКомментарий координатора: {row.coordinator_comment}\n"
        letters.append((subject, body, settings.DEFAULT_FROM_EMAIL, emails))
        reminded.append(row.submission_id)
    sent = send_mass_mail(letters, fail_silently=False) if letters else 0
    reminded_rows = list(Submission.objects.filter(pk__in=reminded))
    for submission in reminded_rows:
        submission.last_reminded_at = at
    bulk_update_with_history(
        reminded_rows,
        Submission,
        ["last_reminded_at"],
        default_user=user,
        default_change_reason="напоминание",
    )
    return sent
