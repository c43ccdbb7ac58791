"""A person's personal data as 152-ФЗ treats them: the one-person export and the destruction.

Both are for the curator of the person's own school and for admins (``access.can_write(user, person,
access.PERSONAL_DATA)``), the only users who see personal data at all (``people.can_see_personal_data``).

Destruction (art. 21, RKN order 179; docs/reliability.md §3.6, #63) keeps the person's row and wipes
what identifies him, there and in its history: the pairs, bases and courses that point at the
row stay, so the region's figures (people by category, pairs, young specialists, trained
mentors) do not change when a pupil's parent withdraws consent. What stays is not personal
data: the category, the class, the subject, the experience, the year of birth (kept as 1
January so that the age groups of the reports stay within a year) and the consent's date
and version (the evidence that processing was lawful until then). The event is written to
``PersonalDataDestruction`` with ids only.
"""

import datetime
import io
import re

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from common.text import printable, source_of

from . import people, services
from .exports import PERSONAL_DATA_NOTICE, append_table, safe_cell
from .models import (
    BaseMembership,
    Mentorship,
    MentorshipLink,
    MethodistRegistryEntry,
    Person,
    PersonalDataDestruction,
    TrainingCompletion,
)

DESTROYED_GIVER = "сведения уничтожены"
ALREADY_DESTROYED = (
    "Персональные данные этого участника уже уничтожены (акт №\u00a0{number} от {date:%d.%m.%Y})."
)
IN_ACTIVE_PAIR = (
    "Участник состоит в действующей паре ({pairs}): сначала завершите или прекратите её, "
    "указав результат, затем уничтожайте персональные данные."
)
ACT_IN_FUTURE = "Дата акта не может быть в будущем."
ACT_NUMBER_MISSING = "Укажите номер акта об уничтожении."


def is_destroyed(*, person: Person) -> bool:
    return PersonalDataDestruction.objects.filter(person=person).exists()


def destroyed_label(*, person: Person, act_number: str, act_date: datetime.date) -> str:
    # The id's first block keeps the natural key (organization, ФИО, birth date) unique when one
    # act destroys several people of a school born in the same year.
    return f"Участник удалён (акт № {act_number} от {act_date:%d.%m.%Y}, {str(person.pk)[:8]})"


# ---------------------------------------------------------------- destruction

# Other apps' rows that name a person (monitoring's survey links and non-anonymous responses) are
# cleared by a function each app registers from its ``AppConfig.ready``: the registry imports no
# app above it. Each is called as ``hook(person=…)`` inside the destruction's transaction and
# returns the number of rows it changed.
FORGET_HOOKS: list = []


def forget_hook_register(*, hook) -> None:
    if hook not in FORGET_HOOKS:
        FORGET_HOOKS.append(hook)


def destroy_personal_data(
    *,
    person: Person,
    user,
    reason: str,
    act_number: str,
    act_date: datetime.date,
    today: datetime.date | None = None,
) -> PersonalDataDestruction:
    """Wipe the person's personal data from the live rows and their history, in one transaction.

    Refused while the person is in an active pair: ending a pair records its result and the
    reason, which the curator decides, and a nameless participant of a working pair cannot be
    worked with. Returns the event record.
    """
    today = today or timezone.localdate()
    act_number = " ".join((act_number or "").split())
    if not act_number:
        raise ValidationError({"act_number": ACT_NUMBER_MISSING})
    if act_date > today:
        raise ValidationError({"act_date": ACT_IN_FUTURE})
    if reason not in PersonalDataDestruction.Reason.values:
        raise ValidationError({"reason": "Выберите основание уничтожения."})
    with transaction.atomic():
        stored = Person.objects.select_for_update().get(pk=person.pk)
        done = PersonalDataDestruction.objects.filter(person=stored).first()
        if done is not None:
            raise ValidationError(ALREADY_DESTROYED.format(number=done.act_number, date=done.act_date))
        active = list(
            MentorshipLink.objects.filter(status=Mentorship.Status.ACTIVE)
            .filter(Q(mentor_person=stored) | Q(mentee_person=stored))
            .select_related("mentoring_form")
        )
        if active:
            names = sorted({link.mentoring_form.name for link in active})
            raise ValidationError(IN_ACTIVE_PAIR.format(pairs=", ".join(f"«{n}»" for n in names)))

        wiped = {
            "full_name": destroyed_label(person=stored, act_number=act_number, act_date=act_date),
            "birth_date": datetime.date(stored.birth_date.year, 1, 1),
            "email": "",
            "phone": "",
            "consent_giver": DESTROYED_GIVER if stored.consent_giver else "",
        }
        for name, value in wiped.items():
            setattr(stored, name, value)
        stored.version += 1
        stored._change_reason = f"Уничтожение персональных данных, акт № {act_number}"
        stored.save()
        services.person_sync_links(person=stored)  # the links' copy of the birth date

        # The history: every row of the person, and the free text of his base entries.
        anonymised = Person.history.filter(id=stored.pk).update(**wiped)
        free_text = {"competences": "", "request": ""}
        for membership in BaseMembership.objects.filter(person=stored):  # one or two: with history rows
            for name, value in free_text.items():
                setattr(membership, name, value)
            membership._change_reason = stored._change_reason
            membership.save()
        anonymised += BaseMembership.history.filter(person_id=stored.pk).update(**free_text)
        # The Django admin's own log names the object it changed (``str(person)``).
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Person), object_id=str(stored.pk)
        ).update(object_repr=wiped["full_name"][:200])
        # A certificate number leads to the holder's name in the federal register (ФИС ФРДО).
        TrainingCompletion.objects.filter(person=stored).update(certificate_number="")
        # A signed agreement's scan carries the parties' names and signatures: his pairs' scans go, from
        # the rows, their history and the disk (once committed); the agreement's date stays.
        anonymised += _drop_agreement_scans(stored, stored._change_reason)
        for hook in FORGET_HOOKS:
            anonymised += hook(person=stored)

        return PersonalDataDestruction.objects.create(
            person=stored,
            organization_id=stored.organization_id,
            destroyed_by=user if getattr(user, "is_authenticated", False) else None,
            reason=reason,
            act_number=act_number,
            act_date=act_date,
            records_anonymised=anonymised,
        )


def _drop_agreement_scans(person: Person, reason: str) -> int:
    pair_ids = set(
        Mentorship.objects.filter(Q(mentor_person=person) | Q(links__mentee_person=person)).values_list(
            "pk", flat=True
        )
    )
    storage = Mentorship._meta.get_field("agreement_file").storage
    names = set()
    pairs = Mentorship.objects.select_for_update().filter(pk__in=pair_ids).exclude(agreement_file="")
    for pair in pairs.order_by("pk"):
        names.add(pair.agreement_file.name)
        pair.agreement_file = ""
        pair.version += 1
        pair._change_reason = reason
        pair.save(update_fields=["agreement_file", "version", "updated_at"])
    history = Mentorship.history.filter(id__in=pair_ids).exclude(agreement_file="")
    names |= set(history.values_list("agreement_file", flat=True))
    wiped = history.update(agreement_file="")
    for name in names - {""}:
        transaction.on_commit(lambda name=name: storage.delete(name))
    return wiped


# ---------------------------------------------------------------- one-person export


def _sheet(workbook, name: str, columns: list[str], rows, bold: Font) -> None:
    worksheet = workbook.create_sheet(re.sub(r"[:\\/?*\[\]]", " ", name)[:31])
    append_table(worksheet, columns, rows, bold)


def _field_rows(person: Person) -> list[tuple]:
    rows = []
    for name in ("full_name", "birth_date", *people.PERSON_FIELDS[2:]):
        field = Person._meta.get_field(name)
        value = getattr(person, name)
        if field.choices:
            value = getattr(person, f"get_{name}_display")()
        rows.append((str(field.verbose_name).capitalize(), value))
    rows += [
        ("Организация", f"{person.organization} (код {person.organization.code})"),
        ("Идентификатор в реестре", str(person.pk)),
        ("Внесён в реестр", person.created_at),
        ("Изменён", person.updated_at),
    ]
    destruction = PersonalDataDestruction.objects.filter(person=person).first()
    if destruction is not None:
        rows.append(
            (
                "Персональные данные уничтожены",
                f"акт №\u00a0{destruction.act_number} от {destruction.act_date:%d.%m.%Y}, "
                f"{destruction.get_reason_display()}",
            )
        )
    return rows


def _pair_rows(person: Person):
    """The person's pairs with his role in each; the other side by its role and id, never by name."""
    mentorships = (
        Mentorship.objects.filter(Q(mentor_person=person) | Q(links__mentee_person=person))
        .distinct()
        .select_related("mentoring_form", "organization")
        .prefetch_related(Prefetch("links", queryset=MentorshipLink.objects.order_by("pk")))
        .order_by("start_date", "pk")
    )
    for mentorship in mentorships:
        group = list(mentorship.links.all())
        as_mentor = mentorship.mentor_person_id == person.pk
        if as_mentor:
            other = "; ".join(
                f"наставляемый: участник {link.mentee_person_id}"
                if link.mentee_person_id
                else f"наставляемая ОО: {link.mentee_organization_id}"
                for link in group
            )
        elif mentorship.mentor_person_id:
            other = f"наставник: участник {mentorship.mentor_person_id}"
        else:
            other = f"ОО-наставник: {mentorship.mentor_organization_id}"
        yield (
            str(mentorship.pk),
            mentorship.mentoring_form.name,
            "наставник" if as_mentor else "наставляемый",
            str(mentorship.organization),
            mentorship.get_status_display(),
            mentorship.start_date,
            mentorship.end_date,
            other,
        )


def person_export_bytes(*, person: Person, user) -> bytes:
    """«Всё, что хранится об участнике» as .xlsx (152-ФЗ art. 14): his fields and consent, base
    entries, pairs with his role, courses, the methodists' register and his change history.

    Nothing about anybody else: the other side of a pair is its role and registry id (the
    person is entitled to his own data, the partner to the partner's). Watermarked like the
    workbook export: who, when, the personal-data notice, on the first sheet and in the
    document's properties.
    """
    from .workbook.export import watermark  # the workbook's own stamp: full name and login

    now = timezone.now()
    stamp = watermark(user, now)
    workbook = Workbook(write_only=True)
    workbook.properties.title = "Сведения об участнике"
    workbook.properties.creator = stamp
    workbook.properties.description = f"{stamp}\n{PERSONAL_DATA_NOTICE}"
    bold = Font(bold=True)

    info = workbook.create_sheet("Участник")
    heading = WriteOnlyCell(info, value="Сведения об участнике реестра наставничества")
    heading.font = bold
    info.append([heading])
    info.append([stamp])
    info.append([PERSONAL_DATA_NOTICE])
    info.append([])
    for label, value in _field_rows(person):
        where = f"person export of registry.Person id={person.pk}, row «{label}»"  # the label, not the value
        cell = WriteOnlyCell(info, value=safe_cell(value, source=where))
        if isinstance(cell.value, datetime.date):
            cell.number_format = "DD.MM.YYYY HH:MM" if isinstance(value, datetime.datetime) else "DD.MM.YYYY"
        info.append([label, cell])

    memberships = BaseMembership.objects.filter(person=person).select_related("organization")
    _sheet(
        workbook,
        "Базы",
        ["База", "Организация", "Включён", "Исключён", "Обучен как наставник", "Компетенции", "Запрос"],
        (
            (
                m.get_base_display(),
                str(m.organization),
                m.included_on,
                m.archived_on,
                m.trained_as_mentor,
                m.competences,
                m.request,
            )
            for m in memberships.order_by("included_on", "pk")
        ),
        bold,
    )
    _sheet(
        workbook,
        "Пары",
        [
            "Пара (id)",
            "Форма",
            "Роль участника",
            "Организация",
            "Статус",
            "Начало",
            "Окончание",
            "Другая сторона",
        ],
        _pair_rows(person),
        bold,
    )
    trainings = TrainingCompletion.objects.filter(person=person).select_related("course")
    _sheet(
        workbook,
        "Обучение",
        ["Курс", "Кто проводит", "Часов", "Окончил(а)", "Номер удостоверения"],
        (
            (t.course.title, t.course.provider, t.course.hours, t.completed_on, t.certificate_number)
            for t in trainings.order_by("completed_on", "pk")
        ),
        bold,
    )
    entries = MethodistRegistryEntry.objects.filter(person=person).select_related("region")
    _sheet(
        workbook,
        "Реестр методистов",
        ["Регион", "Статус", "Специализация", "Договор с", "Договор по"],
        (
            (e.region.name, e.get_status_display(), e.specialization, e.contract_start, e.contract_end)
            for e in entries.order_by("pk")
        ),
        bold,
    )
    history = people.person_history(person=person, user=user, limit=10_000)
    _sheet(
        workbook,
        "История изменений",
        ["Когда", "Кто", "Что", "Поле", "Было", "Стало"],
        _history_rows(history),
        bold,
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _history_rows(history):
    for entry in history:
        if not entry.changes:
            yield (entry.when, entry.who, entry.what, "", "", "")
        for change in entry.changes:
            yield (entry.when, entry.who, entry.what, change.label, change.old or "", change.new or "")


def export_filename(*, person: Person, today: datetime.date) -> str:
    # A right-to-left override stored in the name would turn the download's name around.
    name = printable(person.full_name, lambda: source_of(person, "full_name") + " (file name)")
    return f"Сведения об участнике {name} на {today:%d.%m.%Y}.xlsx"
