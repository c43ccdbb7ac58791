"""Surveys of mentors and mentees («Опросы участников», docs/domain.md §7): the writes and the counts.

A round lives черновик → идёт опрос → завершён (``survey_round_create``, ``survey_round_open``,
``survey_round_close``). Opening gives one personal link (``SurveyInvitation``) to every mentor or
mentee (the questionnaire's audience) of the pairs of the round's territory that are active on
the day it opens; a pupil, or anyone under 18, only when the consent given by the legal
representative is on record (``consent_date`` not after that day and ``consent_giver`` filled):
the others are counted in ``skipped_minors`` and shown. ``survey_answer`` stores one response
per link, all or nothing.

**Tokens.** A link is ``/survey/<token>/``. The token is derived, not drawn: the HMAC-SHA256 of
the round's random ``token_key`` and the invitation's random UUID under the project's
``SECRET_KEY`` (``django.utils.crypto.salted_hmac``), 256 bits written in 43 URL-safe characters.
Only its SHA-256 is stored (``token_hash``, unique): the database alone, a backup or a dump
cannot give a working link, while the portal can print a school's links again for its curator
(``invitation_token``) as long as ``SECRET_KEY`` is the one of the day the round opened; a link
printed before a change of the key keeps working (its hash is stored), a reprint after it is
refused rather than wrong.

**Anonymity.** For an anonymous questionnaire the response holds its round, school, role and day,
nothing else: no person, no user, no invitation, no time; its key and its answers' keys are random
UUIDs, so the order of rows does not follow the order of answers. The invitation's day of answer is
written by an UPDATE that leaves no history row (the history's timestamp would date it to the
second). docs/reliability.md §3.9.

Who: the region's operator (and the admin) creates, opens and closes rounds (``access.can_write``
with ``rights.SURVEY``); a round outside the user's scope raises ``Http404``. Messages are Russian.
"""

import base64
import dataclasses
import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from simple_history.utils import bulk_create_with_history

from common import formats
from common.formats import ru_date
from registry import access
from registry.models import (
    ADULT_AGE,
    Category,
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    Person,
    age_on,
)

from . import rights
from .models import (
    Question,
    Questionnaire,
    SurveyAnswer,
    SurveyAnswerCount,
    SurveyInvitation,
    SurveyResponse,
    SurveyRound,
    SurveySchoolResult,
)

Status = SurveyRound.Status
Audience = Questionnaire.Audience
Role = SurveyInvitation.Role
AUDIENCE_ROLE = {Audience.MENTORS: Role.MENTOR, Audience.MENTEES: Role.MENTEE}

NOT_FOUND = "Объект не найден"
LINK_UNKNOWN = "Ссылка недействительна: проверьте, что она скопирована полностью."
LINK_USED = "Эта ссылка уже использована: ответ принят ранее."
LINK_EXPIRED = "Срок действия ссылки истёк {day}."
ROUND_CLOSED = "Опрос завершён: ответы больше не принимаются."
ROUND_NOT_OPEN = "Опрос ещё не начался."
OTHER_ROUND = "Эта ссылка относится к другому опросу."
TOKEN_SALT = "monitoring.surveys.invitation"


class SurveyLinkRefused(Exception):
    """A link that cannot be answered: ``status`` 404 (unknown) or 410 (used, expired, closed)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


# ---------------------------------------------------------------- tokens


def invitation_token(*, invitation: SurveyInvitation, token_key: str) -> str:
    """The link's token, derived again from the round's key and the invitation's id (see the module)."""
    digest = salted_hmac(TOKEN_SALT, f"{token_key}:{invitation.pk}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(*, token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_links(*, user, survey_round: SurveyRound) -> list[tuple[SurveyInvitation, str | None]]:
    """The invitations of the round in ``user``'s scope with their tokens (None: cannot be derived
    again, ``SECRET_KEY`` changed since the round opened). For the curator's printable page."""
    rows = access.scoped(
        user,
        SurveyInvitation.objects.filter(round=survey_round).select_related("person", "organization"),
    ).order_by("organization__full_name", "role", "person__full_name", "pk")
    result = []
    for invitation in rows:
        token = invitation_token(invitation=invitation, token_key=survey_round.token_key)
        result.append((invitation, token if token_hash(token=token) == invitation.token_hash else None))
    return result


# ---------------------------------------------------------------- rounds


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _require_visible(user, obj) -> None:
    if not access.scoped(user, type(obj)._default_manager.filter(pk=obj.pk)).exists():
        raise Http404(NOT_FOUND)


def _lock_round(user, pk) -> SurveyRound:
    survey_round = (
        SurveyRound.objects.select_for_update(of=("self",)).select_related("questionnaire").get(pk=pk)
    )
    _require_visible(user, survey_round)
    if not access.can_write(user, survey_round, rights.SURVEY):
        raise PermissionDenied(access.write_rule(survey_round, rights.SURVEY).refusal)
    return survey_round


def _save(obj, user) -> None:
    obj._history_user = user if getattr(user, "is_authenticated", False) else None
    obj.save()


def survey_round_create(
    *,
    user,
    questionnaire: Questionnaire,
    period_start: datetime.date,
    period_end: datetime.date,
    municipality: Municipality | None = None,
    organization: Organization | None = None,
    title: str = "",
) -> SurveyRound:
    """A draft round of ``questionnaire`` over its region, or narrowed to a municipality or a school."""
    _require_visible(user, questionnaire)
    probe = SurveyRound(region_id=questionnaire.region_id)
    if not access.can_write(user, probe, rights.SURVEY):
        raise PermissionDenied(access.write_rule(probe, rights.SURVEY).refusal)
    errors = {}
    if organization is not None:
        if municipality is not None and organization.municipality_id != municipality.pk:
            errors["organization"] = "Организация относится к другому муниципалитету."
        municipality = organization.municipality
    if municipality is not None and municipality.region_id != questionnaire.region_id:
        errors["municipality"] = "Муниципалитет относится к другому региону."
    if period_end < period_start:
        errors["period_end"] = "Окончание периода не может быть раньше его начала."
    if questionnaire.questions.filter(counts_satisfaction=True).count() != 1:
        errors["questionnaire"] = "В анкете нет вопроса об удовлетворённости (он нужен для F5 и F6)."
    if errors:
        raise ValidationError(errors)
    title = (
        " ".join((title or "").split()) or f"{questionnaire.title} ({questionnaire.get_audience_display()})"
    )
    with transaction.atomic():
        survey_round = SurveyRound(
            questionnaire=questionnaire,
            region_id=questionnaire.region_id,
            municipality=municipality,
            organization=organization,
            title=title,
            period_start=period_start,
            period_end=period_end,
            token_key=secrets.token_urlsafe(32),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        _save(survey_round, user)
        if municipality is not None:
            survey_round.municipalities.set([municipality])
        else:
            survey_round.municipalities.set(Municipality.objects.filter(region=questionnaire.region_id))
    return survey_round


def _territory_links(survey_round: SurveyRound, day: datetime.date):
    links = MentorshipLink.objects.filter(status=Mentorship.Status.ACTIVE, start_date__lte=day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day)
    )
    if survey_round.organization_id:
        return links.filter(organization=survey_round.organization_id)
    if survey_round.municipality_id:
        return links.filter(organization__municipality=survey_round.municipality_id)
    return links.filter(organization__municipality__region=survey_round.region_id)


def _may_be_invited(person: dict, day: datetime.date) -> bool:
    """A pupil or a minor only with the representative's consent on record by ``day``."""
    minor = person["category"] == Category.STUDENT or age_on(person["birth_date"], day) < ADULT_AGE
    if not minor:
        return True
    consent = person["consent_date"]
    return consent is not None and consent <= day and bool((person["consent_giver"] or "").strip())


def survey_round_participants(*, survey_round: SurveyRound, day: datetime.date) -> tuple[dict, int]:
    """({person id: organization id} to invite, number of minors skipped for want of consent).

    The participants of the questionnaire's audience in the pairs of the territory active on
    ``day``; a person in pairs of two schools is invited once, by the first school (by id).
    """
    links = _territory_links(survey_round, day)
    column = "mentor_person" if survey_round.questionnaire.audience == Audience.MENTORS else "mentee_person"
    pairs = links.filter(**{f"{column}__isnull": False}).values_list(column, "organization").distinct()
    chosen: dict = {}
    for person_id, organization_id in sorted(pairs, key=lambda row: (row[1], str(row[0]))):
        chosen.setdefault(person_id, organization_id)
    people = Person.objects.filter(pk__in=list(chosen), destruction__isnull=True).values(
        "pk", "category", "birth_date", "consent_date", "consent_giver"
    )
    invited, skipped = {}, 0
    for person in people:
        if _may_be_invited(person, day):
            invited[person["pk"]] = chosen[person["pk"]]
        else:
            skipped += 1
    return invited, skipped


def survey_round_open(*, user, survey_round: SurveyRound, today: datetime.date | None = None) -> SurveyRound:
    """Open: one invitation per participant (see the module); the links expire with the period."""
    day = _today(today)
    with transaction.atomic():
        survey_round = _lock_round(user, survey_round.pk)
        # An open round freezes its questionnaire (``monitoring.questionnaires``): the row is locked so
        # that an edit of its questions in flight ends first, or waits and then sees the round open.
        list(
            Questionnaire.objects.select_for_update()
            .filter(pk=survey_round.questionnaire_id)
            .values_list("pk")
        )
        if survey_round.status != Status.DRAFT:
            raise ValidationError("Опрос уже открыт.")
        if survey_round.period_end < day:
            raise ValidationError(f"Период опроса закончился {ru_date(survey_round.period_end)}.")
        invited, skipped = survey_round_participants(survey_round=survey_round, day=day)
        if not invited:
            raise ValidationError(
                "На территории опроса нет участников действующих пар, которых можно пригласить."
            )
        role = AUDIENCE_ROLE[survey_round.questionnaire.audience]
        invitations = []
        for person_id, organization_id in sorted(invited.items(), key=lambda item: (item[1], str(item[0]))):
            invitation = SurveyInvitation(
                round=survey_round,
                person_id=person_id,
                organization_id=organization_id,
                role=role,
                expires_on=survey_round.period_end,
            )
            token = invitation_token(invitation=invitation, token_key=survey_round.token_key)
            invitation.token_hash = token_hash(token=token)
            invitations.append(invitation)
        bulk_create_with_history(
            invitations,
            SurveyInvitation,
            batch_size=2000,
            default_user=user if getattr(user, "is_authenticated", False) else None,
            default_change_reason="открытие опроса",
        )
        survey_round.organizations.set(sorted(set(invited.values())))
        survey_round.status = Status.OPEN
        survey_round.opened_on = day
        survey_round.skipped_minors = skipped
        _save(survey_round, user)
    return survey_round


def survey_round_close(*, user, survey_round: SurveyRound, today: datetime.date | None = None) -> SurveyRound:
    """«Завершён»: the links stop working; the round's results are stored in the same transaction
    (``survey_round_store_results``) and feed the campaigns (F5, F6)."""
    with transaction.atomic():
        survey_round = _lock_round(user, survey_round.pk)
        if survey_round.status != Status.OPEN:
            raise ValidationError(
                f"Завершить можно только идущий опрос (сейчас: «{survey_round.get_status_display()}»)."
            )
        survey_round.status = Status.CLOSED
        survey_round.closed_on = _today(today)
        _save(survey_round, user)
        survey_round_store_results(survey_round=survey_round)
    return survey_round


def survey_round_store_results(*, survey_round: SurveyRound) -> int:
    """Store the round's results: per school its links, answered links and responses
    (``SurveySchoolResult``), per school, question and value the number of answers
    (``SurveyAnswerCount``), replacing any stored before. Returns the rows written.

    Called by ``survey_round_close`` inside its transaction (a failure leaves the round open and
    nothing stored); a closed round accepts no answer, so the rows never change afterwards. They
    hold no person and no day: the anonymous aggregate the results pages show (docs/domain.md §7).
    Four queries and two inserts, whatever the number of answers.
    """
    SurveyAnswerCount.objects.filter(round=survey_round).delete()
    SurveySchoolResult.objects.filter(round=survey_round).delete()
    role = AUDIENCE_ROLE[survey_round.questionnaire.audience]
    schools: dict[int, SurveySchoolResult] = {}

    def school(organization: int, municipality: int) -> SurveySchoolResult:
        return schools.setdefault(
            organization,
            SurveySchoolResult(
                round=survey_round,
                organization_id=organization,
                municipality_id=municipality,
                role=role,
                invited=0,
                answered=0,
                responses=0,
            ),
        )

    for row in (
        SurveyInvitation.objects.filter(round=survey_round)
        .values("organization", "organization__municipality")
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(answered_on__isnull=False)))
        .order_by()
    ):
        stored = school(row["organization"], row["organization__municipality"])
        stored.invited, stored.answered = row["invited"], row["answered"]
    for row in (
        SurveyResponse.objects.filter(round=survey_round)
        .values("organization", "organization__municipality")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        school(row["organization"], row["organization__municipality"]).responses = row["n"]
    counts = [
        SurveyAnswerCount(
            round=survey_round,
            organization_id=row["response__organization"],
            municipality_id=row["response__organization__municipality"],
            question_id=row["question"],
            value=row["value"],
            answers=row["n"],
        )
        for row in _live_answers(SurveyAnswer.objects.filter(response__round=survey_round))
        .values("response__organization", "response__organization__municipality", "question", "value")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    SurveySchoolResult.objects.bulk_create(sorted(schools.values(), key=lambda r: r.organization_id))
    SurveyAnswerCount.objects.bulk_create(counts, batch_size=2000)
    return len(schools) + len(counts)


def _live_answers(answers):
    """The answers that are counted: a number to a scale or choice question (not a text)."""
    return answers.filter(value__isnull=False).exclude(question__kind=Question.Kind.TEXT)


# ---------------------------------------------------------------- answering


def invitation_for_token(*, token: str, today: datetime.date | None = None) -> SurveyInvitation:
    """The invitation a link names, if it can still be answered; ``SurveyLinkRefused`` otherwise."""
    invitation = (
        SurveyInvitation.objects.select_related("round__questionnaire")
        .filter(token_hash=token_hash(token=token or ""))
        .first()
    )
    _check_link(invitation, _today(today))
    return invitation


def _check_link(invitation: SurveyInvitation | None, day: datetime.date) -> None:
    if invitation is None:
        raise SurveyLinkRefused(LINK_UNKNOWN, 404)
    if invitation.answered_on is not None:
        raise SurveyLinkRefused(LINK_USED, 410)
    if invitation.round.status == Status.CLOSED:
        raise SurveyLinkRefused(ROUND_CLOSED, 410)
    if invitation.round.status != Status.OPEN:
        raise SurveyLinkRefused(ROUND_NOT_OPEN, 404)
    if day > invitation.expires_on:
        raise SurveyLinkRefused(LINK_EXPIRED.format(day=ru_date(invitation.expires_on)), 410)


def _parse_answers(questions: list[Question], answers: dict) -> tuple[list[SurveyAnswer], dict]:
    """SurveyAnswer rows (without their response) and {question id: error}."""
    rows, errors = [], {}
    known = {str(q.pk) for q in questions}
    for key in answers or {}:
        if str(key) not in known:
            errors[str(key)] = "Такого вопроса нет в анкете."
    given = {str(k): v for k, v in (answers or {}).items()}
    for question in questions:
        raw = given.get(str(question.pk))
        raw = "" if raw is None else str(raw).strip()
        if not raw:
            if question.required:
                errors[str(question.pk)] = "Ответьте на этот вопрос."
            continue
        if question.kind == Question.Kind.TEXT:
            rows.append(SurveyAnswer(question=question, text=raw[:5000]))
            continue
        try:
            value = int(raw)
        except ValueError:
            value = None
        top = Question.SCALE_MAX if question.kind == Question.Kind.SCALE else len(question.choices)
        low = Question.SCALE_MIN if question.kind == Question.Kind.SCALE else 1
        if value is None or not low <= value <= top:
            errors[str(question.pk)] = "Выберите один из предложенных ответов."
            continue
        rows.append(SurveyAnswer(question=question, value=value))
    return rows, errors


def survey_answer(
    *,
    token: str,
    answers: dict,
    survey_round: SurveyRound | None = None,
    today: datetime.date | None = None,
) -> SurveyResponse:
    """Store the answers given through a link, all or nothing.

    ``answers`` maps a question's id to its answer (the scale's 1–5, the choice's number from 1, or
    the text). ``survey_round``: the round the page was shown for; a link of another round is
    refused. A used, expired or unknown link, or one of a closed round, raises ``SurveyLinkRefused``
    with nothing stored; wrong answers raise ``ValidationError`` ({question id: message}).
    """
    day = _today(today)
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("round__questionnaire")
            .filter(token_hash=token_hash(token=token or ""))
            .first()
        )
        if invitation is not None and survey_round is not None and invitation.round_id != survey_round.pk:
            raise SurveyLinkRefused(OTHER_ROUND, 404)
        _check_link(invitation, day)
        questionnaire = invitation.round.questionnaire
        questions = list(questionnaire.questions.all())
        rows, errors = _parse_answers(questions, answers)
        if errors:
            raise ValidationError(errors)
        response = SurveyResponse.objects.create(
            round=invitation.round,
            organization_id=invitation.organization_id,
            role=invitation.role,
            answered_on=day,
            person_id=None if questionnaire.anonymous else invitation.person_id,
        )
        for row in rows:
            row.response = response
        SurveyAnswer.objects.bulk_create(rows)
        # An UPDATE, not save(): no history row, whose timestamp would date the answer to the second.
        SurveyInvitation.objects.filter(pk=invitation.pk).update(answered_on=day)
    return response


# ---------------------------------------------------------------- personal data


def survey_person_forget(*, person) -> int:
    """The person's data are destroyed: their links and non-anonymous responses no longer name them.

    The stored results of closed rounds (``SurveySchoolResult``, ``SurveyAnswerCount``) stay as
    they are: they name no person, and the answers they count are not deleted either, only
    unlinked from the person (docs/reliability.md §3.9, docs/domain.md §7).

    Called by ``registry.privacy.destroy_personal_data`` through its hook (the registry does not
    import monitoring). The invitations' history rows lose the person too. Returns the rows changed.
    """
    changed = SurveyInvitation.objects.filter(person=person).update(person=None)
    changed += SurveyInvitation.history.filter(person_id=person.pk).update(person_id=None)
    changed += SurveyResponse.objects.filter(person=person).update(person=None)
    return changed


# ---------------------------------------------------------------- counts


@dataclasses.dataclass
class Rate:
    answered: int
    invited: int

    @property
    def text(self) -> str:
        """«Ответили 45 из 60 (75 %)»."""
        return f"Ответили {self.answered} из {self.invited} ({formats.share(self.answered, self.invited, 0)})"


def survey_round_rate(*, user, survey_round: SurveyRound) -> Rate:
    """Answered / invited links of the round within ``user``'s scope: one query, over the stored
    counts per school of a closed round, over the links of an open one."""
    if survey_round.status == Status.CLOSED:
        row = access.scoped(user, SurveySchoolResult.objects.filter(round=survey_round)).aggregate(
            invited=Sum("invited"), answered=Sum("answered")
        )
    else:
        row = access.scoped(user, SurveyInvitation.objects.filter(round=survey_round)).aggregate(
            invited=Count("pk"), answered=Count("pk", filter=Q(answered_on__isnull=False))
        )
    return Rate(row["answered"] or 0, row["invited"] or 0)


@dataclasses.dataclass
class QuestionResult:
    question: Question
    responses: int = 0
    total: int = 0  # sum of the scale's values
    satisfied: int = 0  # answers 4–5
    counts: dict = dataclasses.field(default_factory=dict)  # choice number → answers

    def add(self, other: "QuestionResult") -> None:
        self.responses += other.responses
        self.total += other.total
        self.satisfied += other.satisfied
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n

    @property
    def average(self) -> str:
        if not self.responses:
            return "—"
        return f"{self.total / self.responses:.1f}".replace(".", ",")

    @property
    def satisfied_share(self) -> str:
        return formats.share(self.satisfied, self.responses, 0)

    @property
    def choice_lines(self) -> list[tuple[str, int]]:
        options = self.question.choices or []
        return [(option, self.counts.get(i, 0)) for i, option in enumerate(options, start=1)]


@dataclasses.dataclass
class ResultGroup:
    label: str
    level: str  # organization / municipality / region
    responses: int = 0
    questions: dict = dataclasses.field(default_factory=dict)  # question id → QuestionResult
    hidden: bool = False  # an anonymous questionnaire's group too small to show
    cells: list = dataclasses.field(default_factory=list)  # QuestionResult per question, in order
    cells_html: str = ""  # the row's question cells as the round's page prints them (its view fills it)
    key: int | None = None  # the organization's or the municipality's id
    code: str = ""  # the municipality's code (the round page's link to its schools)

    def result(self, question: Question) -> QuestionResult:
        return self.questions.setdefault(question.pk, QuestionResult(question))


# An anonymous questionnaire's results are not shown for a school (or a municipality, or in all)
# with fewer responses: two answers and one's own tell the other's.
MIN_ANONYMOUS_GROUP = 3


def _fold(groups: dict, by_id: dict, rows) -> None:
    """Add up ``rows`` of (group key, question id, value, answers) into the groups' question results:
    the answers, the scale's total and its 4–5 answers, each option's count."""
    for key, question_id, value, n in rows:
        group, question = groups.get(key), by_id.get(question_id)
        if group is None or question is None:
            continue
        part = group.result(question)
        part.responses += n
        if question.kind == Question.Kind.SCALE:
            part.total += value * n
            if value >= Question.SATISFIED_FROM:
                part.satisfied += n
        elif 1 <= value <= len(question.choices or []):
            part.counts[value] = part.counts.get(value, 0) + n


def _stored_results(user, survey_round: SurveyRound, by_id: dict, municipality: int | None):
    """A closed round's groups from the stored rows. Without ``municipality``: the municipalities by
    SQL GROUP BY (a row per municipality, question and value; two queries), and the schools of the
    only municipality in scope, if one. With it: that municipality's schools as stored (two
    queries), added up into it, the only municipality."""
    schools_q = access.scoped(user, SurveySchoolResult.objects.filter(round=survey_round, responses__gt=0))
    # Every stored row is of a scale or choice question (``_fold`` skips any other): no filter by
    # question, which would make the planner expect a few rows and sort them instead of hashing.
    counts_q = access.scoped(user, SurveyAnswerCount.objects.filter(round=survey_round))
    municipalities: dict[int, ResultGroup] = {}
    if municipality is None:
        for row in (
            schools_q.values("municipality", "municipality__name", "municipality__code")
            .annotate(n=Sum("responses"))
            .order_by("municipality__name", "municipality")
        ):
            municipalities[row["municipality"]] = ResultGroup(
                row["municipality__name"],
                "municipality",
                responses=row["n"],
                key=row["municipality"],
                code=row["municipality__code"],
            )
        _fold(
            municipalities,
            by_id,
            counts_q.values_list("municipality", "question", "value").annotate(n=Sum("answers")).order_by(),
        )
    chosen = _chosen(municipalities, municipality)
    schools: dict[int, ResultGroup] = {}
    if chosen is None:
        return municipalities, schools, chosen
    for pk, name, n, m_name, m_code in (
        schools_q.filter(municipality=chosen)
        .values_list(
            "organization", "organization__full_name", "responses", "municipality__name", "municipality__code"
        )
        .order_by("organization__full_name", "organization")
    ):
        schools[pk] = ResultGroup(name, "organization", responses=n, key=pk)
        if municipality is not None:
            group = municipalities.setdefault(
                chosen, ResultGroup(m_name, "municipality", key=chosen, code=m_code)
            )
            group.responses += n
    _fold(
        schools,
        by_id,
        counts_q.filter(municipality=chosen)
        .values_list("organization", "question", "value", "answers")
        .order_by(),
    )
    if municipality is not None and chosen in municipalities:
        for school in schools.values():
            for result in school.questions.values():
                municipalities[chosen].result(result.question).add(result)
    return municipalities, schools, chosen


def _live_results(user, survey_round: SurveyRound, by_id: dict, municipality: int | None):
    """An open round's schools counted from its answers (two GROUP BY queries), their
    municipalities added up from them; the schools of the chosen municipality kept."""
    counts = (
        access.scoped(user, SurveyResponse.objects.filter(round=survey_round))
        .values_list(
            "organization",
            "organization__full_name",
            "organization__municipality",
            "organization__municipality__name",
            "organization__municipality__code",
        )
        .annotate(n=Count("pk"))
        .order_by("organization__municipality__name", "organization__municipality", "organization__full_name")
    )
    answers = (
        _live_answers(
            access.scoped(
                user, SurveyAnswer.objects.filter(response__round=survey_round, question__in=list(by_id))
            )
        )
        .values_list("response__organization", "question", "value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    schools: dict[int, ResultGroup] = {}
    municipalities: dict[int, ResultGroup] = {}
    school_municipality = {}
    for pk, name, m_pk, m_name, m_code, n in counts:
        schools[pk] = ResultGroup(name, "organization", responses=n, key=pk)
        school_municipality[pk] = m_pk
        group = municipalities.setdefault(m_pk, ResultGroup(m_name, "municipality", key=m_pk, code=m_code))
        group.responses += n
    _fold(schools, by_id, answers)
    for pk, school in schools.items():
        group = municipalities[school_municipality[pk]]
        for result in school.questions.values():
            group.result(result.question).add(result)
    chosen = _chosen(municipalities, municipality)
    kept = {pk: school for pk, school in schools.items() if school_municipality[pk] == chosen}
    if municipality is not None:  # as the stored results: that municipality only
        municipalities = {pk: group for pk, group in municipalities.items() if pk == municipality}
    return municipalities, kept, chosen


def _chosen(municipalities: dict, municipality: int | None) -> int | None:
    if municipality is not None:
        return municipality
    return next(iter(municipalities)) if len(municipalities) == 1 else None


def survey_round_results(*, user, survey_round: SurveyRound, municipality: int | None = None) -> dict:
    """The round's answers within ``user``'s scope by municipality and in all, and by school for one
    municipality: for scale questions the average and the share of 4–5, for choices the count of
    each option; a group of an anonymous questionnaire with fewer than ``MIN_ANONYMOUS_GROUP``
    responses shows its count only.

    ``municipality`` (an id): the municipality whose schools are listed, then the only municipality
    (and the total is its own); with none, every municipality in scope, and the schools of the only
    one if single (a coordinator's; a curator's school).
    A closed round is read from its stored rows (``survey_round_store_results``), an open one is
    counted from its answers. Returns {"questions", "municipalities", "total", "chosen" (the
    listed municipality's group or None), "schools"}. At most five queries, the questions included.
    """
    questions = [q for q in survey_round.questionnaire.questions.all() if q.kind != Question.Kind.TEXT]
    by_id = {q.pk: q for q in questions}
    if survey_round.status == Status.CLOSED:
        municipalities, schools, chosen = _stored_results(user, survey_round, by_id, municipality)
    else:
        municipalities, schools, chosen = _live_results(user, survey_round, by_id, municipality)
    total = ResultGroup("Всего", "region")
    for group in municipalities.values():
        total.responses += group.responses
        for result in group.questions.values():
            total.result(result.question).add(result)
    anonymous = survey_round.questionnaire.anonymous
    for group in [*schools.values(), *municipalities.values(), total]:
        group.hidden = anonymous and group.responses < MIN_ANONYMOUS_GROUP
        group.cells = [] if group.hidden else [group.result(q) for q in questions]
    return {
        "questions": questions,
        "schools": list(schools.values()),
        "municipalities": list(municipalities.values()),
        "chosen": municipalities.get(chosen),
        "total": total,
    }


def survey_figures(*, organizations, period: tuple[datetime.date, datetime.date]) -> dict:
    """F5/F6's figures from the surveys: {(organization id, figure code): count}.

    For each organization and audience, the latest closed round (by the end of its period) that
    invited its participants and whose period meets ``period``: ``*_surveyed`` its responses,
    ``*_satisfied`` those that answered the satisfaction question 4 or 5. An organization no such
    round covers is absent (its figures are typed). Two queries over the closed rounds' stored
    results (``survey_round_store_results``): one answer per response and question, so the 4–5
    answers to the satisfaction question are the satisfied responses.
    """
    start, end = period
    covered = SurveySchoolResult.objects.filter(
        organization__in=organizations,
        invited__gt=0,
        round__status=Status.CLOSED,
        round__period_start__lte=end,
        round__period_end__gte=start,
    ).values_list("organization", "role", "round", "round__period_end", "responses")
    latest: dict[tuple[int, str], tuple] = {}
    surveyed = {}
    for organization, role, round_id, period_end, responses in covered:
        key = (organization, role)
        surveyed[(organization, round_id)] = responses
        if key not in latest or (period_end, round_id) > latest[key]:
            latest[key] = (period_end, round_id)
    if not latest:
        return {}
    rows = (
        SurveyAnswerCount.objects.filter(
            round__in={round_id for _, round_id in latest.values()},
            organization__in=organizations,
            question__counts_satisfaction=True,
            value__gte=Question.SATISFIED_FROM,
        )
        .values_list("organization", "round")
        .annotate(n=Sum("answers"))
        .order_by()
    )
    satisfied = {(organization, round_id): n for organization, round_id, n in rows}
    prefix = {Role.MENTOR: "mentors", Role.MENTEE: "mentees"}
    result = {}
    for (organization, role), (_end, round_id) in latest.items():
        result[(organization, f"{prefix[role]}_surveyed")] = surveyed.get((organization, round_id), 0)
        result[(organization, f"{prefix[role]}_satisfied")] = satisfied.get((organization, round_id), 0)
    return result
