"""Bases of mentors and mentees: what the lists read and the writes that change them.

A base is the organization's ``BaseMembership`` rows of one kind (mentors or mentees) with
``archived_on`` empty; archived rows stay for history and come back with ``base_restore``.
"Active" pairs are read from ``MentorshipLink`` (one row per mentor–mentee link, with the
mentorship's form, status and dates copied onto it), so a list needs one ``EXISTS`` per row
in SQL, never a query per row.

Personal data (birth date, email, phone) are shown only to the curator of the person's
organization and to admins (docs/architecture.md §7, docs/reliability.md #13): see ``can_see_personal_data``.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import access, models, services
from .models import BaseMembership, Category, Mentorship, MentorshipLink, Organization, Person

Base = BaseMembership.Base

MIN_STUDENT_AGE = 10  # the target model covers students from age 10 (docs/domain.md §1, Р-145)
# The oldest a school's pupil can be when entered: the indicators count pupils aged 10–19 (docs/domain.md F1),
# an 11th-former may be 19. Measured on the consent date, the day the pupil entered the registry, so
# that a record of a pupil of 2021 is not refused today for having grown up.
MAX_STUDENT_AGE = 19
PD_FIELDS = ("birth_date", "email", "phone", "consent_giver")
PERSON_FIELDS = (
    "full_name",
    "birth_date",
    "category",
    "position",
    "subject",
    "grade",
    "teaching_experience",
    "email",
    "phone",
    "consent_date",
    "consent_giver",
    "consent_text_version",
)
MEMBERSHIP_FIELDS = {Base.MENTORS: ("trained_as_mentor", "competences"), Base.MENTEES: ("request",)}

STUDENT_TOO_OLD = (
    "Обучающемуся на дату согласия больше 19 лет: проверьте дату рождения или выберите категорию "
    "«студент» или «выпускник»."
)
STUDENT_TOO_YOUNG = (
    "Обучающемуся должно исполниться 10 лет: целевая модель наставничества охватывает обучающихся с 10 лет."
)
ALREADY_IN_BASE = "«{name}» уже есть в {base}."
STALE_VERSION = (
    "Данные участника изменил другой пользователь, пока вы их редактировали. "
    "Обновите страницу и внесите изменения заново."
)
CONCURRENT_ADD = "Этого участника только что добавил другой пользователь. Обновите страницу."
HAS_ACTIVE_PAIRS = (
    "У участника есть действующие пары, где он {role}: сначала завершите их, затем исключите его из базы."
)
DESTROYED = "Персональные данные участника уничтожены: изменять запись нельзя."
ALREADY_ARCHIVED = "Участник уже исключён из {base}."
NOT_ARCHIVED = "Участник не исключён из {base}: возвращать из архива нечего."
ARCHIVE_BEFORE_INCLUDED = "Нельзя исключить из базы раньше даты включения ({date:%d.%m.%Y})."
CATEGORY_DOES_NOT_FIT = (
    "Категория «{category}» не подходит к форме «{form}» действующей пары, где участник {role}. "
    "Сначала завершите пару."
)

IN_BASE = {Base.MENTORS: "базе наставников", Base.MENTEES: "базе наставляемых"}
TO_BASE = {Base.MENTORS: "базу наставников", Base.MENTEES: "базу наставляемых"}
OF_BASE = {Base.MENTORS: "базы наставников", Base.MENTEES: "базы наставляемых"}
SIDE = {Base.MENTORS: "mentor_person", Base.MENTEES: "mentee_person"}
ROLE = {Base.MENTORS: "наставник", Base.MENTEES: "наставляемый"}


# ---------------------------------------------------------------- rules


age_on = models.age_on


def check_student_age(
    *,
    category: str,
    birth_date: datetime.date | None,
    today: datetime.date,
    consent_date: datetime.date | None = None,
) -> None:
    if category != Category.STUDENT or not birth_date:
        return
    if age_on(birth_date, today) < MIN_STUDENT_AGE:
        raise ValidationError({"birth_date": STUDENT_TOO_YOUNG})
    if age_on(birth_date, consent_date or today) > MAX_STUDENT_AGE:
        raise ValidationError({"birth_date": STUDENT_TOO_OLD})


def normalize_full_name(*, text: str) -> str:
    # Part of the natural key: «Иванова  Анна » and «Иванова Анна» are one person.
    return " ".join((text or "").split())


def can_see_personal_data(*, user, person: Person) -> bool:
    role = access.role_of(user)
    if role == access.Role.ADMIN:
        return True
    scope = access.user_scope(user)
    return role == access.Role.CURATOR and scope.organization_id == person.organization_id


def active_links(*, today: datetime.date) -> QuerySet:
    """Links of pairs that work today: status «действует», started, not ended."""
    return MentorshipLink.objects.filter(status=Mentorship.Status.ACTIVE, start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


# ---------------------------------------------------------------- reads


def base_rows(*, user, base: str, today: datetime.date) -> QuerySet:
    """The base's rows in the user's scope, archived ones included (the filter picks), annotated with
    ``in_pair`` and, for mentors, ``active_mentees``: a fixed number of queries whatever the size."""
    side = SIDE[base]
    links = active_links(today=today)
    rows = (
        access.scoped(user, BaseMembership.objects.filter(base=base))
        .select_related("person", "organization")
        .annotate(
            in_pair=Exists(links.filter(**{side: OuterRef("person")})),
            # A base may hold a person of another school (a visiting mentor): that school's
            # curator keeps the person's birth date and contacts, this one does not see them.
            own_person=ExpressionWrapper(Q(person__organization=F("organization")), BooleanField()),
        )
    )
    if not access.sees_minor_names(user):
        rows = rows.exclude(person__category__in=access.MINOR_CATEGORIES)
    if base == Base.MENTORS:
        mentees = (
            links.filter(mentor_person=OuterRef("person"))
            .order_by()
            .values("mentor_person")
            .annotate(n=Count("mentee_person", distinct=True))
            .values("n")
        )
        rows = rows.annotate(
            active_mentees=Coalesce(Subquery(mentees, output_field=IntegerField()), Value(0))
        )
    return rows.order_by("person__full_name", "organization__short_name", "pk")


def forms_by_person(*, person_ids: Iterable | QuerySet, base: str, today: datetime.date) -> dict:
    """{person id: [form names]} of today's active pairs on the base's side, in one query."""
    side = SIDE[base]
    pairs = (
        active_links(today=today)
        .filter(**{f"{side}__in": person_ids})
        .values_list(side, "mentoring_form__name", "mentoring_form__sort_order")
        .distinct()
        .order_by()
    )
    result = defaultdict(set)
    for person_id, name, order in pairs:
        result[person_id].add((order, name))
    return {pk: [name for _, name in sorted(names)] for pk, names in result.items()}


# ---------------------------------------------------------------- writes


@dataclass(frozen=True)
class PersonAdded:
    person: Person
    membership: BaseMembership
    person_existed: bool  # the natural key matched a person already in the registry
    restored: bool  # the person was in this base's archive and came back


def _membership_values(base: str, values: dict) -> dict:
    return {name: values[name] for name in MEMBERSHIP_FIELDS[base] if name in values}


def person_create(
    *,
    organization: Organization,
    base: str,
    full_name: str,
    birth_date: datetime.date,
    category: str,
    position: str = "",
    subject: str = "",
    grade: str = "",
    teaching_experience: int | None = None,
    email: str = "",
    phone: str = "",
    consent_date: datetime.date | None = None,
    consent_giver: str = "",
    consent_text_version: str = models.CURRENT_CONSENT_TEXT_VERSION,
    trained_as_mentor: bool = False,
    competences: str = "",
    request: str = "",
    today: datetime.date | None = None,
) -> PersonAdded:
    """Add a person to the organization's base of mentors or mentees.

    A person with the same natural key (organization, ФИО, дата рождения) is not duplicated:
    the existing one joins the base (his stored data are kept), or comes back from its archive.
    """
    today = today or timezone.localdate()
    full_name = normalize_full_name(text=full_name)
    check_student_age(category=category, birth_date=birth_date, today=today)
    membership_values = _membership_values(
        base, {"trained_as_mentor": trained_as_mentor, "competences": competences, "request": request}
    )
    try:
        with transaction.atomic():
            person = (
                Person.objects.select_for_update()
                .filter(organization=organization, full_name=full_name, birth_date=birth_date)
                .first()
            )
            person_existed = person is not None
            if person is None:
                person = Person(
                    organization=organization,
                    full_name=full_name,
                    birth_date=birth_date,
                    category=category,
                    position=position,
                    subject=subject,
                    grade=grade,
                    teaching_experience=teaching_experience,
                    email=email,
                    phone=phone,
                    consent_date=consent_date,
                    consent_giver=" ".join((consent_giver or "").split()),
                    consent_text_version=consent_text_version,
                )
                person.full_clean()
                person.save()
            membership = (
                BaseMembership.objects.select_for_update()
                .filter(organization=organization, person=person, base=base)
                .first()
            )
            restored = False
            if membership is not None and membership.archived_on is None:
                raise ValidationError(ALREADY_IN_BASE.format(name=person.full_name, base=IN_BASE[base]))
            if membership is not None:
                membership.archived_on = None
                restored = True
            else:
                membership = BaseMembership(
                    organization=organization, person=person, base=base, included_on=today
                )
            for name, value in membership_values.items():
                setattr(membership, name, value)
            membership.full_clean()
            membership.save()
    except IntegrityError as exc:
        # Another curator added the same person between our lookup and the insert.
        raise ValidationError(CONCURRENT_ADD) from exc
    return PersonAdded(person=person, membership=membership, person_existed=person_existed, restored=restored)


def _check_category_fits_active_pairs(person: Person, today: datetime.date) -> None:
    links = active_links(today=today).select_related("mentoring_form")
    for base, side in SIDE.items():
        role = "mentor" if base == Base.MENTORS else "mentee"
        for link in links.filter(**{side: person}):
            form = link.mentoring_form
            if not form.admits(role, person.category):
                raise ValidationError(
                    {
                        "category": CATEGORY_DOES_NOT_FIT.format(
                            category=person.get_category_display(), form=form.name, role=ROLE[base]
                        )
                    }
                )


def person_update(
    *, person: Person, expected_version: int, today: datetime.date | None = None, **changes
) -> Person:
    """Change a person's data and the base-specific fields of his base entries.

    ``changes`` takes the fields of ``PERSON_FIELDS`` and of ``MEMBERSHIP_FIELDS``.
    ``expected_version`` is the version the user's form was built from: if somebody saved the
    person since, nothing is written and the user is told to reload. Saving nothing new writes
    nothing (no empty history rows).
    """
    allowed = set(PERSON_FIELDS) | {name for names in MEMBERSHIP_FIELDS.values() for name in names}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"person_update() got unexpected fields: {', '.join(sorted(unknown))}")
    today = today or timezone.localdate()
    with transaction.atomic():
        # Optimistic lock: the stored row is locked and its version compared, then raised by one.
        stored = Person.objects.select_for_update().filter(pk=person.pk).first()
        if stored is None or stored.version != expected_version:
            raise ValidationError(STALE_VERSION)
        if models.PersonalDataDestruction.objects.filter(person=stored).exists():
            raise ValidationError(DESTROYED)
        if "full_name" in changes:
            changes["full_name"] = normalize_full_name(text=changes["full_name"])
        changed = set()
        for name in PERSON_FIELDS:
            if name in changes and getattr(stored, name) != changes[name]:
                setattr(stored, name, changes[name])
                changed.add(name)
        if changed & {"category", "birth_date"}:
            # Checked on change only, so that a record imported before the rule can still be edited.
            check_student_age(category=stored.category, birth_date=stored.birth_date, today=today)
        if "category" in changed:
            _check_category_fits_active_pairs(stored, today)
        stored.full_clean()
        changed_memberships = []
        # Only the entries of the person's own school: another school's base entry is that school's.
        own_entries = BaseMembership.objects.select_for_update().filter(
            person=stored, organization=stored.organization_id
        )
        for membership in own_entries:
            values = _membership_values(membership.base, changes)
            if any(getattr(membership, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(membership, name, value)
                membership.full_clean()
                changed_memberships.append(membership)
        if changed or changed_memberships:
            stored.version += 1
            stored.save()
            if changed & {"category", "teaching_experience", "birth_date"}:
                services.person_sync_links(person=stored)
            for membership in changed_memberships:
                membership.save()
    return stored


def base_archive(*, membership: BaseMembership, today: datetime.date | None = None) -> BaseMembership:
    """Exclude a person from a base: the row stays, dated, and its history records who did it."""
    today = today or timezone.localdate()
    with transaction.atomic():
        stored = BaseMembership.objects.select_for_update().get(pk=membership.pk)
        if stored.archived_on is not None:
            raise ValidationError(ALREADY_ARCHIVED.format(base=OF_BASE[stored.base]))
        if today < stored.included_on:
            raise ValidationError(ARCHIVE_BEFORE_INCLUDED.format(date=stored.included_on))
        # An archived mentor in a working pair would vanish from the base but not from the pair.
        if active_links(today=today).filter(**{SIDE[stored.base]: stored.person_id}).exists():
            raise ValidationError(HAS_ACTIVE_PAIRS.format(role=ROLE[stored.base]))
        stored.archived_on = today
        stored.full_clean()
        stored.save()
    return stored


def base_restore(*, membership: BaseMembership) -> BaseMembership:
    """«Вернуть из архива»: the person is in the base again."""
    with transaction.atomic():
        stored = BaseMembership.objects.select_for_update().get(pk=membership.pk)
        if stored.archived_on is None:
            raise ValidationError(NOT_ARCHIVED.format(base=OF_BASE[stored.base]))
        stored.archived_on = None
        stored.full_clean()
        stored.save()
    return stored


# ---------------------------------------------------------------- history


@dataclass
class Change:
    label: str
    old: str | None  # None: the value is hidden from this user
    new: str | None


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    what: str
    changes: list[Change] = field(default_factory=list)


def _display(model, name: str, value) -> str:
    if value is None or value == "":
        return "—"
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return "система"
    return user.get_full_name() or user.get_username()


def _changes(model, new, old, hidden: Iterable[str], skip: Iterable[str] = ()) -> list[Change]:
    delta = new.diff_against(old, excluded_fields=[*skip, "person", "organization"])
    order = [f.name for f in model._meta.fields]
    result = []
    for change in sorted(delta.changes, key=lambda c: order.index(c.field)):
        label = str(model._meta.get_field(change.field).verbose_name)
        if change.field in hidden:
            result.append(Change(label=label, old=None, new=None))
        else:
            result.append(
                Change(
                    label=label,
                    old=_display(model, change.field, change.old),
                    new=_display(model, change.field, change.new),
                )
            )
    return result


def _walk(records: list, describe) -> list[HistoryEntry]:
    """Pair each history record with the previous one of the same object, in memory."""
    entries = []
    previous = {}
    for record in records:
        old = previous.get(record.id)
        entry = describe(record, old)
        if entry is not None:
            entries.append(entry)
        previous[record.id] = record
    return entries


def person_history(*, person: Person, user, limit: int = 200) -> list[HistoryEntry]:
    """Who changed what and when: the person's rows and his base entries, newest first.

    Three queries whatever the history length; values of personal data are hidden from users
    who may not see them.
    """
    hidden = () if can_see_personal_data(user=user, person=person) else PD_FIELDS

    def describe_person(record, old):
        if record.history_type == "+":
            return HistoryEntry(record.history_date, _who(record), "Внесён в реестр")
        if record.history_type == "-":
            return HistoryEntry(record.history_date, _who(record), "Удалён из реестра")
        changes = _changes(Person, record, old, hidden) if old is not None else []
        if not changes:
            return None  # only the version moved: the base entry's own record tells what changed
        return HistoryEntry(record.history_date, _who(record), "Изменены данные участника", changes)

    def describe_membership(record, old):
        base = record.base
        if record.history_type == "+":
            what = f"Включён в {TO_BASE[base]}"
            if record.archived_on:
                what += f", в архиве с {record.archived_on:%d.%m.%Y}"
            return HistoryEntry(record.history_date, _who(record), what)
        if record.history_type == "-":
            return HistoryEntry(record.history_date, _who(record), f"Удалён из {OF_BASE[base]}")
        if old is None:
            return HistoryEntry(record.history_date, _who(record), f"Изменена запись в {IN_BASE[base]}")
        changes = _changes(BaseMembership, record, old, hidden)
        if old.archived_on is None and record.archived_on is not None:
            what = f"Исключён из {OF_BASE[base]} (в архиве)"
        elif old.archived_on is not None and record.archived_on is None:
            what = f"Возвращён из архива в {TO_BASE[base]}"
        elif changes:
            what = f"Изменена запись в {IN_BASE[base]}"
        else:
            return None
        return HistoryEntry(record.history_date, _who(record), what, changes)

    person_records = list(
        Person.history.filter(id=person.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    membership_records = list(
        BaseMembership.history.filter(
            person_id=person.pk, organization_id__in=access.scope_organizations(user).values("pk")
        )
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries = _walk(person_records, describe_person) + _walk(membership_records, describe_membership)
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
