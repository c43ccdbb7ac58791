"""«Соглашение о наставничестве»: the agreement of a pair, generated from the registry as a document.

The pair's card (registry) links here; the document is one of the report pipeline's documents
(``reports.documents`` blocks), rendered by the same renderers: ``reports.docx`` for Word and the
HTML template with WeasyPrint (``reports.render`` / ``reports.pdf``) for PDF. An agreement is one to
three pages: it is rendered inline in the request, never queued (the queue is for reports).

Parties: the school (the pair's organization), the mentor, the mentee or mentees; a pupil's (or a
minor's) agreement names the legal representative recorded on the Person (``consent_giver``), who
signs for the mentee. No birth date, contact or other personal detail is printed. Above the school
(coordinator, operator) pupils' names stay hidden, as on the card (``access.sees_minor_names``).
"""

import datetime

from django.db.models import Prefetch

from registry import access
from registry.models import MentoringPlan, Mentorship, MentorshipLink, PlanItem

from .documents import heading, para, row, table

TITLE = "Соглашение о наставничестве"
UNDATED = "«___» ____________ 20___ г."
SIGNATURE_LINE = "______________"
DATE_LINE = "«__» _______ 20__ г."
NO_PLAN = (
    "Индивидуальный план наставничества пары не составлен: задачи, сроки и ожидаемые результаты "
    "определяются планом, который утверждается и прилагается к настоящему соглашению."
)
DUTIES = [
    "Наставник оказывает наставляемому помощь в достижении целей наставничества, делится опытом "
    "и знаниями, выполняет мероприятия плана наставничества в установленные сроки.",
    "Наставляемый выполняет задачи плана наставничества, участвует во встречах с наставником "
    "и сообщает о затруднениях.",
    "Образовательная организация в лице куратора наставничества создаёт условия для работы пары, "
    "контролирует выполнение плана и подводит итоги наставничества.",
]


def agreement_pair(*, user, pk) -> Mentorship:
    """The pair in ``user``'s scope (404 outside it) with everything the agreement prints."""
    links = MentorshipLink.objects.select_related("mentee_person", "mentee_organization").order_by(
        "mentee_person__full_name", "mentee_organization__full_name", "pk"
    )
    plans = MentoringPlan.objects.prefetch_related(
        Prefetch("items", queryset=PlanItem.objects.exclude(status=PlanItem.Status.CANCELLED))
    )
    pairs = Mentorship.objects.select_related(
        "organization", "mentoring_form", "mentor_person", "mentor_organization"
    ).prefetch_related(Prefetch("links", queryset=links))
    pair = access.get_scoped_or_404(user, pairs, pk=pk)
    pair._agreement_plan = plans.filter(mentorship=pair).first()
    return pair


def _date(day: datetime.date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else ""


def _person(person, show_minor_names: bool) -> str:
    if not show_minor_names and person.category in access.MINOR_CATEGORIES:
        return person.get_category_display()
    return person.full_name


def _mentor(pair: Mentorship, show: bool) -> str:
    if pair.mentor_person is None:
        return str(pair.mentor_organization or "")
    person = pair.mentor_person
    text = _person(person, show)
    details = [person.position or person.get_category_display()]
    if person.organization_id != pair.organization_id:
        details.append(str(person.organization))
    return f"{text} ({', '.join(d for d in details if d)})"


def _mentees(pair: Mentorship, show: bool, representative_named: bool = True) -> list[tuple[str, str]]:
    """(the mentee as printed, the legal representative's name or "") of every mentee; the
    representative is named only when ``show`` and ``representative_named`` (never to a mentor)."""
    out = []
    for link in pair.links.all():
        person = link.mentee_person
        if person is None:
            out.append((str(link.mentee_organization or ""), ""))
            continue
        text = _person(person, show)
        if person.grade and show:
            text += f", {person.grade} класс"
        elif person.position:
            text += f" ({person.position})"
        representative = ""
        if person.needs_representative:
            named = show and representative_named
            representative = (person.consent_giver or "").strip() if named else "законный представитель"
            representative = representative or "законный представитель"
        out.append((text, representative))
    return out


def agreement_document(
    *, mentorship: Mentorship, show_minor_names: bool, show_personal_data: bool = True
) -> dict:
    """The agreement as a document of ``reports.documents`` blocks (title, running header, blocks).

    ``show_personal_data`` False (a mentor's own account) prints the mentee's name but not the legal
    representative's: «законный представитель» instead."""
    pair, show = mentorship, show_minor_names
    plan = getattr(pair, "_agreement_plan", None)
    if plan is None and not hasattr(pair, "_agreement_plan"):
        plan = MentoringPlan.objects.filter(mentorship=pair).first()
    mentor = _mentor(pair, show)
    mentees = _mentees(pair, show, show_personal_data)
    school = pair.organization.full_name
    many = len(mentees) > 1

    blocks = [heading(TITLE, 1)]
    blocks.append(para(_date(pair.agreement_date) or UNDATED, align="right"))
    blocks.append(
        para(
            f"{school} (далее — образовательная организация), наставник {mentor} и "
            f"{'наставляемые' if many else 'наставляемый'} "
            + "; ".join(text for text, _ in mentees)
            + " заключили настоящее соглашение о наставничестве."
        )
    )

    blocks.append(heading("1. Стороны соглашения"))
    blocks.append(para(school, label="Образовательная организация:", align="left"))
    blocks.append(para(mentor, label="Наставник:", align="left"))
    for text, representative in mentees:
        blocks.append(para(text, label="Наставляемый:", align="left"))
        if representative:
            blocks.append(
                para(
                    f"{representative} (действует в интересах наставляемого)",
                    label="Законный представитель наставляемого:",
                    align="left",
                )
            )

    blocks.append(heading("2. Форма и период наставничества"))
    blocks.append(para(pair.mentoring_form.name, label="Форма наставничества:", align="left"))
    if pair.mode:
        blocks.append(para(pair.get_mode_display(), label="Вид наставничества:", align="left"))
    period = f"с {_date(pair.start_date)}"
    if pair.planned_end_date:
        period += f" по {_date(pair.planned_end_date)}"
    else:
        period += " (дата окончания не определена)"
    blocks.append(para(period, label="Период наставничества:", align="left"))

    blocks.append(heading("3. Цель наставничества"))
    goal = (pair.goal or "").strip()
    blocks.append(para(goal or "не указана", label="Цель:"))
    if plan is not None and plan.goals.strip():
        blocks.append(para(plan.goals.strip(), label="Цели и задачи по индивидуальному плану:"))

    blocks.append(heading("4. План наставничества"))
    items = list(plan.items.all()) if plan is not None else []
    if items:
        blocks.append(
            table(
                [
                    ("№", 6, "center"),
                    ("Задача", 44, "left"),
                    ("Срок", 14, "center"),
                    ("Ожидаемый результат", 36, "left"),
                ],
                [
                    row(number, item.task, _date(item.deadline), item.expected_result or "—")
                    for number, item in enumerate(items, start=1)
                ],
                caption="Задачи индивидуального плана наставничества",
            )
        )
    else:
        blocks.append(para(NO_PLAN))

    blocks.append(heading("5. Обязанности сторон"))
    blocks += [para(f"5.{number}. {text}") for number, text in enumerate(DUTIES, start=1)]

    blocks.append(heading("6. Подписи сторон"))
    signers = [("Наставник", mentor)]
    for text, representative in mentees:
        if representative:
            signers.append(("Законный представитель наставляемого", f"{representative} ({text})"))
        else:
            signers.append(("Наставляемый", text))
    signers.append(("Куратор ОО", f"{SIGNATURE_LINE} (ФИО)"))
    blocks.append(
        table(
            [("Сторона", 24, "left"), ("ФИО", 36, "left"), ("Подпись", 18, "center"), ("Дата", 22, "center")],
            [row(role, name, SIGNATURE_LINE, DATE_LINE) for role, name in signers],
        )
    )
    return {"title": TITLE, "running_header": f"{TITLE}: {school}", "blocks": blocks}
