"""The pair's individual mentoring plan (ИПН): its writes and what the pair's card shows of it.

A plan belongs to one pair (``MentoringPlan``) and holds the mentee's deficits or request, the
goals, the hours of support, the supervising methodist and the tasks (``PlanItem``). Progress is
done ÷ (planned + done) tasks, cancelled ones not counted; a task is overdue when it is still
planned after its deadline; a deadline outside the pair's period is flagged, not refused
(docs/domain.md §4.1). Rights: ``access.WRITE_RULES`` (the pair's school curator and the admin).
A region's plan templates (``PlanTemplate``) fill an empty plan in one step; the region's operator
keeps them in the portal (``plan_template_save``, ``plan_template_delete``; the rule is
``access.WRITE_RULES``), every change in their history. A plan keeps a copy of the template's
text and tasks, never a link to it: a template can be changed or deleted at any time.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from . import access
from .models import (
    MentoringPlan,
    Mentorship,
    MethodistRegistryEntry,
    PlanItem,
    PlanProgress,
    PlanTemplate,
    PlanTemplateItem,
)

OUTSIDE_PERIOD = "Срок вне периода наставничества пары"
OVERDUE = "Просрочено"
PLAN_FIELDS = ("deficits", "goals", "support_hours", "methodist")
ITEM_FIELDS = ("task", "deadline", "expected_result", "status", "done_on")
PLAN_HAS_TASKS = "В плане пары уже есть задачи: шаблон заполняет только пустой план."
TEMPLATE_NOT_FOR_PAIR = "Шаблон не подходит паре: он другого региона или другой формы наставничества."
TEMPLATE_NO_ITEMS = "В шаблоне должна быть хотя бы одна задача."
TEMPLATE_FIELDS = ("region", "mentoring_form", "title", "deficits", "goals")
TEMPLATE_ITEM_FIELDS = ("task", "expected_result", "deadline_days")


# ---------------------------------------------------------------- writing


def _check_item(item: PlanItem, today: datetime.date | None) -> None:
    errors = PlanItem.done_on_errors(item.status, item.done_on, today)
    try:
        item.full_clean(exclude=["plan"])
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_save(
    *,
    mentorship: Mentorship,
    deficits: str,
    goals: str,
    support_hours: int | None = None,
    methodist: MethodistRegistryEntry | None = None,
) -> MentoringPlan:
    """Fill the pair's plan, or change it; a save without a change writes no history row."""
    plan = MentoringPlan.objects.select_for_update().filter(mentorship=mentorship).first()
    values = {"deficits": deficits, "goals": goals, "support_hours": support_hours, "methodist": methodist}
    if plan is None:
        plan = MentoringPlan(mentorship=mentorship, **values)
    elif all(getattr(plan, name) == value for name, value in values.items()):
        return plan
    else:
        for name, value in values.items():
            setattr(plan, name, value)
    plan.mentorship = mentorship
    plan.full_clean(exclude=["mentorship"])
    plan.save()
    return plan


@transaction.atomic
def plan_item_add(
    *,
    plan: MentoringPlan,
    task: str,
    deadline: datetime.date,
    expected_result: str = "",
    status: str = PlanItem.Status.PLANNED,
    done_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> PlanItem:
    """A new task of ``plan``; a done one needs its date, not later than today."""
    item = PlanItem(
        plan=plan,
        task=task,
        deadline=deadline,
        expected_result=expected_result,
        status=status,
        done_on=done_on,
    )
    _check_item(item, today)
    item.save()
    return item


@transaction.atomic
def plan_item_update(*, item: PlanItem, today: datetime.date | None = None, **fields) -> PlanItem:
    """Change a task: its text, deadline, result, or status (marking it done with ``done_on``)."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"plan_item_update() got unexpected fields: {sorted(unknown)}")
    item = PlanItem.objects.select_for_update().get(pk=item.pk)
    if all(getattr(item, name) == value for name, value in fields.items()):
        return item
    for name, value in fields.items():
        setattr(item, name, value)
    _check_item(item, today)
    item.save()
    return item


def templates_for(*, mentorship: Mentorship):
    """The plan templates of the pair's region and form of mentoring, by title (one query)."""
    return PlanTemplate.objects.filter(
        region__municipalities__organizations=mentorship.organization_id,
        mentoring_form=mentorship.mentoring_form_id,
    ).order_by("title", "pk")


def template_deadline(*, mentorship: Mentorship, days: int) -> datetime.date:
    """The pair's start + ``days``, clipped to the pair's end (the actual one, else the planned one)."""
    deadline = mentorship.start_date + datetime.timedelta(days=days)
    end = mentorship.end_date or mentorship.planned_end_date
    return min(deadline, end) if end else deadline


@transaction.atomic
def plan_from_template(*, mentorship: Mentorship, template: PlanTemplate) -> MentoringPlan:
    """«Заполнить из шаблона»: a pair without a plan gets the template's deficits, goals and tasks; an
    empty plan keeps its own text and gets the tasks. A plan with tasks is refused (PLAN_HAS_TASKS)."""
    pair = (
        Mentorship.objects.select_for_update()
        .select_related("organization__municipality")
        .get(pk=mentorship.pk)
    )
    if not templates_for(mentorship=pair).filter(pk=template.pk).exists():
        raise ValidationError(TEMPLATE_NOT_FOR_PAIR)
    plan = MentoringPlan.objects.filter(mentorship=pair).first()
    if plan is not None and plan.items.exists():
        raise ValidationError(PLAN_HAS_TASKS)
    if plan is None:
        plan = plan_save(mentorship=pair, deficits=template.deficits, goals=template.goals)
    for item in template.items.all():
        plan_item_add(
            plan=plan,
            task=item.task,
            expected_result=item.expected_result,
            deadline=template_deadline(mentorship=pair, days=item.deadline_days),
        )
    return plan


# ---------------------------------------------------------------- the region's templates


def _require_template_write(user, template: PlanTemplate) -> None:
    if (
        template.pk is not None
        and not access.scoped(user, PlanTemplate.objects.filter(pk=template.pk)).exists()
    ):
        raise Http404("Шаблон не найден")
    if not access.can_write(user, template):
        raise PermissionDenied(access.write_rule(template).refusal)


def _save_with_user(obj, user) -> None:
    obj._history_user = user if getattr(user, "is_authenticated", False) else None
    obj.save()


def _check_template_items(items: list[dict]) -> list[PlanTemplateItem]:
    if not items:
        raise ValidationError({"items": TEMPLATE_NO_ITEMS})
    built, errors = [], []
    for number, row in enumerate(items, start=1):
        unknown = set(row) - {"pk", *TEMPLATE_ITEM_FIELDS}
        if unknown:
            raise TypeError(f"plan_template_save() got unexpected item fields: {sorted(unknown)}")
        item = PlanTemplateItem(**{name: row[name] for name in TEMPLATE_ITEM_FIELDS if name in row})
        item.pk = row.get("pk")
        try:
            item.full_clean(exclude=["template"], validate_unique=False)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                label = PlanTemplateItem._meta.get_field(field).verbose_name if field != "__all__" else ""
                errors += [f"Задача {number}{', ' + label if label else ''}: {m}" for m in messages]
        built.append(item)
    if errors:
        raise ValidationError({"items": errors})
    return built


def plan_template_save(*, user, template: PlanTemplate, items: list[dict]) -> PlanTemplate:
    """Create or change a region's template and its tasks. ``items`` is the whole list of tasks: a row
    with ``pk`` changes that task (only if something differs), one without adds a task, a task not
    listed is deleted. Bad input raises ``ValidationError`` naming the field (a task's «Задача 2,
    срок, дней от начала пары: …»), nothing written."""
    _require_template_write(user, template)
    built = _check_template_items(items)
    template.title = " ".join((template.title or "").split())
    template.full_clean()
    with transaction.atomic():
        if template.pk is not None:
            stored = PlanTemplate.objects.select_for_update().get(pk=template.pk)
            if stored.region_id != template.region_id:
                raise ValidationError({"region": "Регион шаблона не меняется."})
            if any(getattr(stored, f) != getattr(template, f) for f in TEMPLATE_FIELDS):
                _save_with_user(template, user)
        else:
            _save_with_user(template, user)
        stored_items = {item.pk: item for item in template.items.all()}
        keep = {item.pk for item in built if item.pk is not None}
        if keep - set(stored_items):
            raise ValidationError({"items": "Задача не относится к этому шаблону."})
        for pk in set(stored_items) - keep:
            stored_items[pk]._history_user = user
            stored_items[pk].delete()
        for item in built:
            old = stored_items.get(item.pk)
            if old is not None and all(getattr(old, f) == getattr(item, f) for f in TEMPLATE_ITEM_FIELDS):
                continue
            item.template = template
            if old is None:
                item.pk = None
            _save_with_user(item, user)
    return template


@transaction.atomic
def plan_template_delete(*, user, template: PlanTemplate) -> None:
    """Delete a template: pairs' plans filled from it keep their copy (the history keeps the template)."""
    _require_template_write(user, template)
    for item in template.items.all():
        item._history_user = user
        item.delete()
    template._history_user = user
    template.delete()


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ItemRow:
    item: PlanItem
    overdue: bool
    outside_period: bool


@dataclass(frozen=True)
class PlanCard:
    plan: MentoringPlan | None
    rows: list[ItemRow]
    progress: PlanProgress
    overdue: int


def plan_card(*, mentorship: Mentorship, today: datetime.date) -> PlanCard:
    """The plan as the pair's card shows it, in two queries whatever the number of tasks."""
    plan = (
        MentoringPlan.objects.select_related("methodist__person")
        .prefetch_related("items")
        .filter(mentorship=mentorship)
        .first()
    )
    if plan is not None:
        plan.mentorship = mentorship  # the card asks the write rule, which reads the pair's organization
    items = list(plan.items.all()) if plan else []
    rows = [ItemRow(item, item.is_overdue(today), item.outside_period(mentorship)) for item in items]
    progress = plan.progress(items) if plan else PlanProgress(0, 0)
    return PlanCard(plan, rows, progress, sum(row.overdue for row in rows))
