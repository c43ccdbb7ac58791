"""Writes to the registry. Every path that changes a mentorship goes through here."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    MENTEE_ASSESSMENT_RANGE,
    ORGANIZATION_SIDE,
    GoalReached,
    MentoringPlan,
    Mentorship,
    MentorshipLink,
    Organization,
    Person,
    PlanProgress,
)

MENTEE_REQUIRED = "Укажите хотя бы одного наставляемого."
MENTEE_WRONG_KIND = "В форме «{form}» наставляемым не может быть {what} ({name})."
MENTEE_IS_MENTOR = "Наставник не может быть своим наставляемым."
ORG_MENTEE_IS_MENTOR = "Организация не может быть наставником самой себе."
DUPLICATE_ACTIVE = "У этого наставника уже есть действующая пара с этим наставляемым в этой форме."
STALE_VERSION = (
    "Пару изменил другой пользователь, пока вы её редактировали. "
    "Обновите страницу и внесите изменения заново."
)
TRANSITION_NOT_ALLOWED = "Пару в статусе «{status}» нельзя перевести в статус «{target}»."

ALLOWED_TRANSITIONS = {
    Mentorship.Status.DRAFT: {Mentorship.Status.ACTIVE},
    Mentorship.Status.ACTIVE: {Mentorship.Status.COMPLETED, Mentorship.Status.TERMINATED},
    Mentorship.Status.COMPLETED: set(),
    Mentorship.Status.TERMINATED: set(),
}


def mentorship_check_mentees(*, mentorship: Mentorship, mentees: list) -> None:
    form = mentorship.mentoring_form
    if not mentees:
        raise ValidationError({"mentees": MENTEE_REQUIRED})
    errors = []
    for mentee in mentees:
        if isinstance(mentee, Organization):
            if not form.admits("mentee", ORGANIZATION_SIDE):
                errors.append(MENTEE_WRONG_KIND.format(form=form.name, what="организация", name=mentee))
            elif mentee.pk == mentorship.mentor_organization_id:
                errors.append(ORG_MENTEE_IS_MENTOR)
        else:
            if not form.admits("mentee", mentee.category):
                errors.append(
                    MENTEE_WRONG_KIND.format(form=form.name, what=mentee.get_category_display(), name=mentee)
                )
            elif mentee.pk == mentorship.mentor_person_id:
                errors.append(MENTEE_IS_MENTOR)
    if errors:
        raise ValidationError({"mentees": errors})


def mentorship_sync_links(*, mentorship: Mentorship) -> None:
    """Copy the mentorship's fields, and its participants' attributes, onto its links."""
    # Read the links afresh: a prefetched mentorship.links would resurrect deleted rows.
    for link in MentorshipLink.objects.filter(mentorship=mentorship).select_related("mentee_person"):
        values = {
            **mentorship_link_fields(mentorship=mentorship),
            **mentee_link_fields(mentee=link.mentee_person),
        }
        if all(getattr(link, name) == value for name, value in values.items()):
            continue  # no phantom history rows for links that already agree
        for name, value in values.items():
            setattr(link, name, value)
        # save() rather than update(): each link change is kept in its history.
        link.save()


def _set_mentees(mentorship: Mentorship, mentees: list) -> None:
    wanted_people = {x.pk: x for x in mentees if isinstance(x, Person)}
    wanted_orgs = {x.pk: x for x in mentees if isinstance(x, Organization)}
    for link in MentorshipLink.objects.filter(mentorship=mentorship):
        if link.mentee_person_id in wanted_people:
            del wanted_people[link.mentee_person_id]
        elif link.mentee_organization_id in wanted_orgs:
            del wanted_orgs[link.mentee_organization_id]
        else:
            link.delete()
    for mentee in [*wanted_people.values(), *wanted_orgs.values()]:
        new_link(mentorship=mentorship, mentee=mentee).save()


def new_link(*, mentorship: Mentorship, mentee: Person | Organization) -> MentorshipLink:
    """An unsaved link of ``mentorship`` to ``mentee`` with every copied field filled."""
    if isinstance(mentee, Organization):
        return MentorshipLink(
            mentorship=mentorship, mentee_organization=mentee, **mentorship_link_fields(mentorship=mentorship)
        )
    return MentorshipLink(
        mentorship=mentorship,
        mentee_person=mentee,
        **mentorship_link_fields(mentorship=mentorship),
        **mentee_link_fields(mentee=mentee),
    )


# What a link copies (MentorshipLink's docstring), written once for every path that writes
# links: the forms, the admin, the demo and the workbook's import (which COPYs these columns).
# The mentorship's own fields, by name:
LINK_MENTORSHIP_FIELDS = (
    "organization_id",
    "mentoring_form_id",
    "mentor_person_id",
    "mentor_organization_id",
    "status",
    "start_date",
    "end_date",
)
# Its participants' attributes: the link's field → the person's field. An organization on that
# side («ОО – ОО») leaves them empty.
MENTOR_COPIES = {"mentor_category": "category"}
MENTEE_COPIES = {
    "mentee_category": "category",
    "mentee_teaching_experience": "teaching_experience",
    "mentee_birth_date": "birth_date",
}


def _copies(copies: dict[str, str], person) -> dict:
    if person is None:
        return {copy: "" if field == "category" else None for copy, field in copies.items()}
    return {copy: getattr(person, field) for copy, field in copies.items()}


def mentor_link_fields(*, mentor) -> dict:
    """The mentor's attributes that a link carries; ``mentor``: a Person, or anything with its
    fields (the workbook's PersonRef); None for an organization."""
    return _copies(MENTOR_COPIES, mentor)


def mentee_link_fields(*, mentee) -> dict:
    """The mentee's attributes that the counting selectors read from the link (``mentee`` as in
    ``mentor_link_fields``)."""
    return _copies(MENTEE_COPIES, mentee)


def mentorship_link_fields(*, mentorship: Mentorship, mentor=None) -> dict:
    """The mentorship's fields that its links carry, with its mentor's attributes.

    ``mentor``: the mentor person as the caller already holds it (the workbook's PersonRef);
    by default the mentorship's own ``mentor_person`` (a query unless it is loaded).
    """
    if mentor is None and mentorship.mentor_person_id:
        mentor = mentorship.mentor_person
    return {
        **{name: getattr(mentorship, name) for name in LINK_MENTORSHIP_FIELDS},
        **mentor_link_fields(mentor=mentor),
    }


def person_sync_links(*, person: Person) -> int:
    """After a person's category, experience or birth date changed: refresh the copies on their links.

    Called by every path that edits a person (registry.people, the admin). The copies are
    excluded from the links' history, so ``update()`` loses nothing here.
    """
    as_mentor = MentorshipLink.objects.filter(mentor_person=person).update(
        **mentor_link_fields(mentor=person)
    )
    as_mentee = MentorshipLink.objects.filter(mentee_person=person).update(
        **mentee_link_fields(mentee=person)
    )
    return as_mentor + as_mentee


def mentorship_check_no_duplicate_active(*, mentorship: Mentorship, mentees: list | None) -> None:
    if mentorship.status != Mentorship.Status.ACTIVE:
        return
    if mentees is None:
        links = MentorshipLink.objects.filter(mentorship=mentorship)
        people = [x for x in links.values_list("mentee_person", flat=True) if x]
        orgs = [x for x in links.values_list("mentee_organization", flat=True) if x]
    else:
        people = [x.pk for x in mentees if isinstance(x, Person)]
        orgs = [x.pk for x in mentees if isinstance(x, Organization)]
    clash = MentorshipLink.objects.filter(
        status=Mentorship.Status.ACTIVE, mentoring_form_id=mentorship.mentoring_form_id
    ).exclude(mentorship_id=mentorship.pk)
    if mentorship.mentor_person_id and people:
        clash = clash.filter(mentor_person_id=mentorship.mentor_person_id, mentee_person_id__in=people)
    elif mentorship.mentor_organization_id and orgs:
        clash = clash.filter(
            mentor_organization_id=mentorship.mentor_organization_id, mentee_organization_id__in=orgs
        )
    else:
        return
    if clash.exists():
        raise ValidationError(DUPLICATE_ACTIVE)


def _save_checked(mentorship: Mentorship, mentees: list | None, expected_version: int | None) -> Mentorship:
    mentorship.full_clean()
    mentorship_check_no_duplicate_active(mentorship=mentorship, mentees=mentees)
    try:
        with transaction.atomic():
            if not mentorship._state.adding:
                # Optimistic lock: the row is locked, its version compared and raised by one.
                current = (
                    Mentorship.objects.select_for_update()
                    .filter(pk=mentorship.pk)
                    .values_list("version", flat=True)
                    .first()
                )
                if expected_version is not None and current != expected_version:
                    raise ValidationError(STALE_VERSION)
                mentorship.version = (current or 0) + 1
            mentorship.save()
            if mentees is not None:
                _set_mentees(mentorship, mentees)
            mentorship_sync_links(mentorship=mentorship)
    except IntegrityError as exc:
        # A concurrent save slipped between the check above and the insert: the constraint held.
        raise ValidationError(DUPLICATE_ACTIVE) from exc
    return mentorship


def mentorship_save(
    *,
    mentorship: Mentorship,
    mentees: Iterable[Person | Organization] | None = None,
    expected_version: int | None = None,
) -> Mentorship:
    """Validate and save a mentorship with its mentees (None keeps the current ones).

    ``expected_version`` is the version the user's form was built from: if somebody saved
    the mentorship since, nothing is written and the user is told to reload.
    """
    mentees = list(mentees) if mentees is not None else None
    if mentees is not None:
        mentorship_check_mentees(mentorship=mentorship, mentees=mentees)
    return _save_checked(mentorship, mentees, expected_version)


def mentorship_create(*, mentees: Iterable[Person | Organization], **fields) -> Mentorship:
    return mentorship_save(mentorship=Mentorship(**fields), mentees=mentees)


def mentorship_transition(
    *,
    mentorship: Mentorship,
    status: str,
    end_date: datetime.date | None = None,
    result: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Mentorship:
    """черновик → действует → завершена | прекращена досрочно.

    ``expected_version`` works as in ``mentorship_save``: a transition decided on a stale page
    (somebody completed or edited the pair meanwhile) writes nothing.
    """
    mentorship_check_transition(mentorship=mentorship, status=status)
    mentorship.status = status
    if status in (Mentorship.Status.COMPLETED, Mentorship.Status.TERMINATED):
        mentorship.end_date = end_date or timezone.localdate()
        if result:
            mentorship.result = result
        if reason:
            mentorship.termination_reason = reason
    return mentorship_save(mentorship=mentorship, expected_version=expected_version)


def mentorship_check_transition(*, mentorship: Mentorship, status: str) -> None:
    """``ALLOWED_TRANSITIONS``: the card, the admin and the workbook import (a stored pair whose
    status the file changes) ask here; docs/domain.md §4."""
    if status not in ALLOWED_TRANSITIONS[mentorship.status]:
        raise ValidationError(
            TRANSITION_NOT_ALLOWED.format(
                status=mentorship.get_status_display(), target=Mentorship.Status(status).label
            )
        )


def mentorship_check_status(
    *,
    status: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    termination_reason: str = "",
) -> None:
    """What a pair in ``status`` needs (its end date, its reason), keyed by field like
    ``full_clean``: the same rule ``mentorship_transition`` and ``mentorship_complete`` meet
    through ``Mentorship.clean``, asked by the workbook import row by row before it writes."""
    errors = Mentorship.status_errors(status, start_date, end_date, termination_reason)
    if errors:
        raise ValidationError(errors)


GOAL_REQUIRED = "Укажите, достигнута ли цель наставничества."


def mentorship_complete(
    *,
    mentorship: Mentorship,
    end_date: datetime.date,
    result: str,
    goal_reached: str,
    mentee_assessment: int | None = None,
    effect_comment: str = "",
    expected_version: int | None = None,
) -> Mentorship:
    """действует → завершена, with the result and its effectiveness (docs/domain.md §4): the plan's
    done and planned + done tasks copied as they are now (0 of 0 without a plan), whether the goal
    was reached (required), the mentee's own assessment 1–5 (optional) and a comment."""
    errors = {}
    if goal_reached not in GoalReached.values:
        errors["goal_reached"] = GOAL_REQUIRED
    if mentee_assessment is not None and not 1 <= mentee_assessment <= 5:
        errors["mentee_assessment"] = MENTEE_ASSESSMENT_RANGE
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = MentoringPlan.objects.filter(mentorship=mentorship).first()
        progress = plan.progress() if plan else PlanProgress(0, 0)
        mentorship.plan_items_done, mentorship.plan_items_total = progress.done, progress.total
        mentorship.goal_reached = goal_reached
        mentorship.mentee_assessment = mentee_assessment
        mentorship.effect_comment = effect_comment.strip()
        return mentorship_transition(
            mentorship=mentorship,
            status=Mentorship.Status.COMPLETED,
            end_date=end_date,
            result=result.strip(),
            expected_version=expected_version,
        )


# What a curator may change in the pair form; status goes through mentorship_transition only.
MENTORSHIP_EDITABLE_FIELDS = frozenset(
    {
        "mentoring_form",
        "mode",
        "group_name",
        "mentor_person",
        "mentor_organization",
        "start_date",
        "planned_end_date",
        "end_date",
        "agreement_date",
        "goal",
        "mentee_request",
        "result",
        "termination_reason",
    }
)


def mentorship_update(
    *,
    mentorship: Mentorship,
    expected_version: int | None,
    mentees: Iterable[Person | Organization] | None = None,
    **fields,
) -> Mentorship:
    """Apply an edit form to a mentorship: ``fields`` are model fields, checked against an allow-list."""
    unknown = set(fields) - MENTORSHIP_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"mentorship_update() cannot change {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(mentorship, name, value)
    return mentorship_save(mentorship=mentorship, mentees=mentees, expected_version=expected_version)


def mentorships_bulk_create(*, items: list[tuple[Mentorship, list]]) -> int:
    """Create many mentorships with their links in a few queries (demo data, imports).

    Each item is validated as ``mentorship_save`` would, except for the duplicate-active
    rule, which the database's partial unique index enforces for the whole batch.
    History rows are written for the mentorships and their links.
    """
    from simple_history.utils import bulk_create_with_history

    links = []
    for mentorship, mentees in items:
        mentorship.clean()
        mentorship_check_mentees(mentorship=mentorship, mentees=mentees)
        links.extend(new_link(mentorship=mentorship, mentee=mentee) for mentee in mentees)
    with transaction.atomic():
        bulk_create_with_history([m for m, _ in items], Mentorship, batch_size=500)
        bulk_create_with_history(links, MentorshipLink, batch_size=500)
    return len(items)
