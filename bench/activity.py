"""Mentoring as it happens, for generate.py: every active pair's plan and meetings, and a closed
survey round per region with its responses.

Written with the ORM's ``bulk_create`` in batches (no per-row save, no history rows), after the
COPY tables, from the rows already in the database read back in a fixed order, with RNGs seeded
from ``--seed``: same seed and scale, same data (the serial ids included, the database being new).

- **Plans**: each active pair gets a ``MentoringPlan`` with ``PLAN_ITEMS`` tasks spread over its
  period; a task whose deadline is before ``AS_OF`` is done (≈ 75 %), cancelled (≈ 5 %) or still
  planned, hence overdue.
- **Meetings**: ``MEETINGS`` per active pair, each touching one of the plan's tasks. For
  ``SILENT_SHARE`` of the pairs the last one is 29–90 days before ``AS_OF`` (the pair is silent
  for the alert's default 4 weeks), for the others 0–27 days; the earlier ones are spread evenly
  back to the pair's start. A pair starting after ``AS_OF`` meets every two weeks from its start.
  The pair's ``last_meeting_on`` is set to its latest meeting's date in the same transaction.
- **Surveys**: per region an anonymous questionnaire for mentors (the demo's four questions:
  satisfaction, interaction, frequency, free text) and a closed round of the whole region in
  February 2025. The invited are ``monitoring.surveys.survey_round_participants`` on the opening
  day (so a minor without the representative's consent is skipped, as the service does), one
  ``SurveyInvitation`` each with a random token hash. ``RESPONSE_SHARE`` of them answer: the
  invitation gets its day, and a ``SurveyResponse`` with no person and a random key (nothing
  leads back to the invitation) gets the three closed answers and, for one in ten, a text.
  The round's results are then stored as closing stores them
  (``monitoring.surveys.survey_round_store_results``). The services are bypassed (too slow at
  this scale), not their anonymity rules.
"""

import datetime
import hashlib
import random
import time
import uuid

AS_OF = datetime.date(2025, 3, 1)  # the benches' "today"
PLAN_ITEMS = 5
MEETINGS = 10
SILENT_SHARE = 0.10
RESPONSE_SHARE = 0.60
PAIRS_PER_BATCH = 2_000
BATCH_SIZE = 5_000
SURVEY_OPENED = datetime.date(2025, 2, 3)
SURVEY_END = datetime.date(2025, 2, 21)
SURVEY_CLOSED = datetime.date(2025, 2, 24)
CREATED = datetime.datetime(2025, 1, 27, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=3)))

DEFICITS = [
    "Планирование урока по ФГОС",
    "Работа с родителями обучающихся",
    "Дисциплина на уроке",
    "Оценивание образовательных результатов",
    "Подготовка обучающихся к ОГЭ",
]
GOALS = [
    "Освоить технологию формирующего оценивания",
    "Подготовить открытый урок",
    "Разработать рабочую программу",
    "Повысить предметные результаты класса",
]
TASKS = [
    "Посетить уроки наставника",
    "Разработать технологическую карту урока",
    "Провести открытый урок",
    "Подготовить выступление на методобъединении",
    "Составить план работы с родителями",
    "Проанализировать результаты контрольной работы",
    "Пройти курс повышения квалификации",
]
TOPICS = [
    "Разбор посещённого урока",
    "Планирование следующей темы",
    "Подготовка к открытому уроку",
    "Работа с трудным классом",
    "Итоги четверти",
    "Подготовка к экзамену",
]
AGREED = [
    "",
    "",
    "Подготовить конспект к следующей встрече",
    "Посетить урок коллеги",
    "Доработать карту урока",
]
IMPROVE = ["Больше времени на встречи", "Меньше отчётов", "Методические материалы", "Всё устраивает"]
# The demo's questionnaire for mentors (monitoring/demo.py): text, kind, choices, satisfaction.
FREQUENCY = ["Раз в неделю и чаще", "Два-три раза в месяц", "Раз в месяц", "Реже раза в месяц"]
QUESTIONS = [
    ("Насколько вы удовлетворены участием в программе наставничества?", "scale", [], True),
    ("Насколько вы удовлетворены взаимодействием с наставляемым?", "scale", [], False),
    ("Как часто проходили встречи?", "choice", FREQUENCY, False),
    ("Что можно улучшить в программе наставничества?", "text", [], False),
]
QUESTIONNAIRE_TITLE = "Удовлетворённость участием в программе наставничества"
SCALE_WEIGHTS = [3, 7, 20, 40, 30]  # answers 1..5


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _timed(timings: list, name: str, rows: int, started: float) -> None:
    timings.append((name, rows, time.perf_counter() - started))
    print(f"  {name:<32} {rows:>10,} rows {timings[-1][2]:8.1f} s", flush=True)


# ---------------------------------------------------------------- plans and meetings


def _item_rows(rng: random.Random, start: datetime.date, end: datetime.date):
    """(task, deadline, expected result, status, done_on) × PLAN_ITEMS, deadlines spread over the period."""
    span = max((end - start).days, PLAN_ITEMS)
    rows = []
    for n in range(PLAN_ITEMS):
        deadline = start + datetime.timedelta(days=span * (n + 1) // PLAN_ITEMS)
        status, done_on = "planned", None
        if deadline < AS_OF:
            draw = rng.random()
            if draw < 0.75:
                status = "done"
                done_on = min(AS_OF, deadline - datetime.timedelta(days=rng.randint(0, 10)))
                done_on = max(done_on, start)
            elif draw < 0.80:
                status = "cancelled"
        rows.append((rng.choice(TASKS), deadline, "Материалы в портфолио наставляемого", status, done_on))
    return rows


def _meeting_dates(rng: random.Random, start: datetime.date) -> list[datetime.date]:
    if start > AS_OF - datetime.timedelta(days=14):
        return [start + datetime.timedelta(days=14 * n) for n in range(MEETINGS)]
    gap = rng.randint(29, 90) if rng.random() < SILENT_SHARE else rng.randint(0, 27)
    last = max(start, AS_OF - datetime.timedelta(days=gap))
    span = (last - start).days
    return [start + datetime.timedelta(days=span * n // (MEETINGS - 1)) for n in range(MEETINGS)]


def set_last_meeting(last: dict) -> None:
    """``Mentorship.last_meeting_on`` of the pairs of ``last`` ({pair id: date}): one UPDATE."""
    from django.db import connection

    from registry.models import Mentorship

    if not last:
        return
    table = Mentorship._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS m SET last_meeting_on = v.day "  # noqa: S608 (the model's own table name)
            "FROM unnest(%s::uuid[], %s::date[]) AS v(id, day) WHERE m.id = v.id",
            [list(last), list(last.values())],
        )


def plans_and_meetings(seed: int, timings: list) -> None:
    from django.db import transaction

    from registry.models import Meeting, MentoringPlan, Mentorship, PlanItem

    started = time.perf_counter()
    rng = random.Random(f"{seed}:plans_and_meetings")
    pairs = list(
        Mentorship.objects.filter(status=Mentorship.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", "start_date", "planned_end_date")
    )
    through = Meeting.plan_items.through
    counts = {"plans": 0, "items": 0, "meetings": 0, "links": 0}
    for offset in range(0, len(pairs), PAIRS_PER_BATCH):
        batch = pairs[offset : offset + PAIRS_PER_BATCH]
        with transaction.atomic():
            plans = MentoringPlan.objects.bulk_create(
                [
                    MentoringPlan(
                        mentorship_id=pk,
                        deficits=rng.choice(DEFICITS),
                        goals=rng.choice(GOALS),
                        support_hours=rng.randint(10, 72),
                    )
                    for pk, _, _ in batch
                ],
                batch_size=BATCH_SIZE,
            )
            items = []
            for plan, (_, start, planned_end) in zip(plans, batch, strict=True):
                end = planned_end or start + datetime.timedelta(days=365)
                for task, deadline, result, status, done_on in _item_rows(rng, start, end):
                    items.append(
                        PlanItem(
                            plan_id=plan.pk,
                            task=task,
                            deadline=deadline,
                            expected_result=result,
                            status=status,
                            done_on=done_on,
                        )
                    )
            items = PlanItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
            meetings, touched = [], []
            for n, (pk, start, _) in enumerate(batch):
                plan_items = items[n * PLAN_ITEMS : (n + 1) * PLAN_ITEMS]
                for date in _meeting_dates(rng, start):
                    meetings.append(
                        Meeting(
                            mentorship_id=pk,
                            date=date,
                            format="in_person" if rng.random() < 0.8 else "remote",
                            duration_minutes=rng.choice((30, 45, 45, 60, 90)),
                            topic=rng.choice(TOPICS),
                            agreed=rng.choice(AGREED),
                        )
                    )
                    touched.append(rng.choice(plan_items).pk)
            meetings = Meeting.objects.bulk_create(meetings, batch_size=BATCH_SIZE)
            # The pair's stored last meeting date, as registry.meetings keeps it (no history row).
            last: dict = {}
            for meeting in meetings:
                if meeting.mentorship_id not in last or meeting.date > last[meeting.mentorship_id]:
                    last[meeting.mentorship_id] = meeting.date
            set_last_meeting(last)
            through.objects.bulk_create(
                [
                    through(meeting_id=m.pk, planitem_id=item)
                    for m, item in zip(meetings, touched, strict=True)
                ],
                batch_size=BATCH_SIZE,
            )
        counts["plans"] += len(plans)
        counts["items"] += len(items)
        counts["meetings"] += len(meetings)
        counts["links"] += len(touched)
    _timed(timings, "plans, tasks, meetings (+links)", sum(counts.values()), started)
    print(
        f"  {'':<32} {counts['plans']:,} plans, {counts['items']:,} tasks, {counts['meetings']:,} "
        f"meetings, {counts['links']:,} meeting-task links",
        flush=True,
    )


# ---------------------------------------------------------------- surveys


def surveys(seed: int, timings: list) -> None:
    from django.db import transaction

    from monitoring.models import (
        Question,
        Questionnaire,
        SurveyAnswer,
        SurveyInvitation,
        SurveyResponse,
        SurveyRound,
    )
    from monitoring.surveys import survey_round_participants, survey_round_store_results
    from registry.models import Municipality, Region

    started = time.perf_counter()
    rng = random.Random(f"{seed}:surveys")
    counts = {"invited": 0, "responses": 0, "answers": 0, "skipped": 0}
    for region in Region.objects.order_by("pk"):
        with transaction.atomic():
            questionnaire = Questionnaire.objects.create(
                region=region,
                title=QUESTIONNAIRE_TITLE,
                audience=Questionnaire.Audience.MENTORS,
                anonymous=True,
                description="Анкета анонимная. Оцените от 1 (совсем нет) до 5 (полностью да).",
            )
            questions = Question.objects.bulk_create(
                [
                    Question(
                        questionnaire=questionnaire,
                        order=order,
                        text=text,
                        kind=kind,
                        choices=choices,
                        required=kind != "text",
                        counts_satisfaction=satisfaction,
                    )
                    for order, (text, kind, choices, satisfaction) in enumerate(QUESTIONS, start=1)
                ]
            )
            survey_round = SurveyRound.objects.create(
                questionnaire=questionnaire,
                region=region,
                title=f"{QUESTIONNAIRE_TITLE}, февраль 2025",
                period_start=SURVEY_OPENED,
                period_end=SURVEY_END,
                status=SurveyRound.Status.CLOSED,
                opened_on=SURVEY_OPENED,
                closed_on=SURVEY_CLOSED,
                token_key=f"{rng.getrandbits(256):064x}",
            )
            survey_round.municipalities.set(
                Municipality.objects.filter(region=region).order_by("pk").values_list("pk", flat=True)
            )
            invited, skipped = survey_round_participants(survey_round=survey_round, day=SURVEY_OPENED)
            # auto_now_add stamps now: fixed days instead, so that the same seed gives the same data
            Questionnaire.objects.filter(pk=questionnaire.pk).update(created_at=CREATED)
            SurveyRound.objects.filter(pk=survey_round.pk).update(skipped_minors=skipped, created_at=CREATED)
            survey_round.organizations.set(sorted(set(invited.values())))
            invitations, responses, answers = [], [], []
            for person_id, organization_id in sorted(
                invited.items(), key=lambda item: (item[1], str(item[0]))
            ):
                answered = rng.random() < RESPONSE_SHARE
                day = SURVEY_OPENED + datetime.timedelta(
                    days=rng.randint(0, (SURVEY_END - SURVEY_OPENED).days)
                )
                invitations.append(
                    SurveyInvitation(
                        id=_uuid(rng),
                        round=survey_round,
                        person_id=person_id,
                        organization_id=organization_id,
                        role=SurveyInvitation.Role.MENTOR,
                        token_hash=hashlib.sha256(rng.randbytes(32)).hexdigest(),
                        expires_on=SURVEY_END,
                        answered_on=day if answered else None,
                    )
                )
                if answered:  # anonymous: no person, no invitation, a random key, the day only
                    response = SurveyResponse(
                        id=_uuid(rng),
                        round=survey_round,
                        organization_id=organization_id,
                        role=SurveyInvitation.Role.MENTOR,
                        answered_on=day,
                    )
                    responses.append(response)
                    for question in questions:
                        if question.kind == "scale":
                            value, text = rng.choices(range(1, 6), SCALE_WEIGHTS)[0], ""
                        elif question.kind == "choice":
                            value, text = rng.randint(1, len(question.choices)), ""
                        elif rng.random() < 0.1:
                            value, text = None, rng.choice(IMPROVE)
                        else:
                            continue
                        answers.append(
                            SurveyAnswer(
                                id=_uuid(rng), response=response, question=question, value=value, text=text
                            )
                        )
            rng.shuffle(responses)  # the rows' order says nothing about who answered when
            SurveyInvitation.objects.bulk_create(invitations, batch_size=BATCH_SIZE)
            SurveyResponse.objects.bulk_create(responses, batch_size=BATCH_SIZE)
            SurveyAnswer.objects.bulk_create(answers, batch_size=BATCH_SIZE)
            survey_round_store_results(survey_round=survey_round)  # closed: its results stored, as at closing
        counts["invited"] += len(invitations)
        counts["responses"] += len(responses)
        counts["answers"] += len(answers)
        counts["skipped"] += skipped
    rows = counts["invited"] + counts["responses"] + counts["answers"]
    _timed(timings, "survey rounds, one per region", rows, started)
    print(
        f"  {'':<32} {counts['invited']:,} invitations, {counts['responses']:,} responses, "
        f"{counts['answers']:,} answers; {counts['skipped']:,} minors skipped for want of consent",
        flush=True,
    )
