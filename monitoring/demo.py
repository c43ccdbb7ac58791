"""The monitoring part of the demo region (docs/architecture.md §9), built after ``registry.demo`` by
``seed_demo``.

- Seed 002 (Oktyabrsky): the coordinator's municipal campaign ordered on 16.12.2022 (приказ № 16),
  as of 30.12.2022, over the district's 26 schools; every curator sends the values the registry
  pre-fills, the coordinator accepts them, closes the collection and publishes. Its indicators
  give the seed's shares: 7,3 %, 100 %, 26,1 %, 18 %, 25,4 % (and 26 of 26 schools run the model).
- Seed 003 (Smolensk): the operator's two regional campaigns over the region's 340 schools —
  the readiness monitoring of 16.12–25.12.2022, answered by 228 schools (228 of 340, 67 %), and
  the site check of 27.03–04.04.2023, answered for all 340, where 254 have their «положение» on
  the site (the registry's documents; the others answer «нет»): 254 of 340, 75 %, the denominator
  being all the campaign's organizations.
- Seed 000 (Bryansk) and seed 003: two regional road maps, eight events from November 2020 to
  April 2021, and the 2022–2024 plan grouped by direction.
- Today: an open campaign of the coordinator for the current school year, its deadline ahead;
  a few schools have sent, the demo curator's school (D0116) has its draft to fill. A later run
  whose date is past that deadline moves it two weeks ahead (``make run`` seeds on every start).
- Surveys (docs/domain.md §7): the default questionnaires for mentors and for mentees, and this
  school year's two finished rounds over Oktyabrsky (1 September up to the day the current
  campaign opens), answered deterministically through ``monitoring.surveys``; the current
  campaign's F5 and F6 are pre-filled from them. The seeds' campaigns (2022–2023) have no F5 or
  F6 and their periods meet no round: their figures are unchanged.

Every school gets a curator account (no password: it cannot log in; the demo's ``curator`` keeps
D0116) so that submissions are sent by their school and the missing ones show whom to remind.

Everything goes through ``monitoring.campaigns`` with ``at=`` dates of the seeds. Campaigns and
road maps are found again by their title, so a second run changes nothing.
"""

import datetime
import random
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from registry.demo import CURATOR_SCHOOL_CODE, OKTYABRSKY_CODE, REGION_CODE, DemoBuilder
from registry.models import ContestEntry, Municipality, Organization, Region, UserScope, school_year_of

from . import campaigns as svc
from . import surveys
from .models import (
    Campaign,
    Question,
    Questionnaire,
    RoadMap,
    RoadMapEvent,
    Submission,
    SurveyRound,
)

D = datetime.date
DAY = datetime.timedelta(days=1)

READINESS_RESPONDENTS = 228  # seed 003, 2.1: 228 of the 340 schools took part

OKTYABRSKY_ORGANIZER = "МАУ «Информационно-методический кабинет» Октябрьского района"
OPERATOR_ORGANIZER = (
    "ГАУ ДПО «Институт развития образования Демонстрационной области» (региональный оператор)"
)
ORDER_933 = {
    "basis_number": "933-ОД",
    "basis_date": D(2022, 11, 8),
    "basis_title": "Об утверждении плана мероприятий («дорожной карты») по внедрению и развитию системы "
    "наставничества педагогических работников образовательных организаций Демонстрационной области "
    "на 2022–2024 годы",
}

# Seed 002: the order of МАУ «ИМК» and the analytical report's basis, goal and methods.
OKTYABRSKY_2022 = {
    "title": "Мониторинг реализации «дорожной карты» работы педагогов-наставников",
    "organizer": OKTYABRSKY_ORGANIZER,
    "basis_number": "16",
    "basis_date": D(2022, 12, 16),
    "basis_title": "О проведении мониторинга реализации «дорожной карты» работы педагогов-наставников",
    "basis_text": (
        "В целях получения актуальной информации результатов реализации муниципальной программы/"
        "дорожной карты работы педагогов-наставников\n\n"
        "п р и к а з ы в а ю:\n\n"
        "1. Провести данный мониторинг до 30.12.2022 года.\n"
        "2. Опубликовать настоящий приказ на официальном сайте МАУ ИМК в разделе «Документы» в срок "
        "до 14 января 2023 года.\n"
        "3. Контроль за исполнением приказа оставляю за собой."
    ),
    "other_basis": (
        "Приказ отдела образования Администрации Октябрьского района № 195 «Об организации работы "
        "по внедрению Муниципальной целевой модели наставничества педагогических работников "
        "и обучающихся в общеобразовательных организациях»"
    ),
    "goal": (
        "Выявление количества участников, вовлеченных в наставничество в образовательных организациях, "
        "использующих разные формы наставничества."
    ),
    "method": Campaign.Method.SPREADSHEETS,
    "method_text": (
        "Формализованный сбор статистических данных с применением электронных таблиц, работа с базами данных."
    ),
    "processing_text": (
        "Формирование электронной базы эмпирических данных, анализ статистических данных, "
        "аналитический отчёт."
    ),
    "use_of_results": (
        "Результаты мониторинга можно использовать для подготовки/корректировки плана работы "
        "образовательных организаций по внедрению Целевой модели наставничества по формам "
        "«учитель-учитель», «учитель-ученик», «ученик-ученик» на второе полугодие 2022-2023 учебного "
        "года, на первое полугодие 2023-2024 учебного года; для взаимодействия наставников и "
        "наставляемых; для подготовки и участия образовательных организаций в мероприятиях по выявлению "
        "лучших педагогических практик, реализуемых молодыми специалистами и педагогами-наставниками, "
        "обобщение и их тиражирование."
    ),
    "period_start": D(2022, 12, 16),
    "period_end": D(2022, 12, 30),
    "as_of_date": D(2022, 12, 30),
    "deadline": D(2022, 12, 30),  # «Провести данный мониторинг до 30.12.2022 года»
}
# The seed's shares (R1–R5) and «во всех общеобразовательных организациях района внедрены
# целевые модели наставничества» (F7).
OKTYABRSKY_INDICATORS = ["F7", "R1", "R2", "R3", "R4", "R5"]

# Seed 003, 2.1: the readiness monitoring.
SMOLENSK_READINESS = {
    "title": "Мониторинг готовности образовательных организаций к внедрению системы наставничества "
    "педагогических работников",
    "organizer": OPERATOR_ORGANIZER,
    **ORDER_933,
    "goal": "Определение готовности образовательных организаций к внедрению системы наставничества "
    "педагогических работников.",
    "method": Campaign.Method.SURVEY,
    "method_text": "Сбор сведений от руководителей общеобразовательных организаций через муниципальных "
    "координаторов системы наставничества (27 человек).",
    "period_start": D(2022, 12, 16),
    "period_end": D(2022, 12, 25),
    "as_of_date": D(2022, 12, 16),
    "deadline": D(2022, 12, 25),
}
SMOLENSK_READINESS_INDICATORS = ["R6", "R9"]

# Seed 003, 2.5: the site check.
SMOLENSK_SITE_CHECK = {
    "title": "Мониторинг процесса внедрения и развития системы наставничества педагогических работников "
    "образовательных организаций",
    "organizer": OPERATOR_ORGANIZER,
    **ORDER_933,
    "goal": "Выявление актуального состояния внедрения педагогического наставничества в образовательных "
    "организациях общего образования.",
    "method": Campaign.Method.SITE_CHECK,
    "method_text": "Контроль размещения на официальных сайтах образовательных организаций документов "
    "и индивидуальных программ педагогического наставничества: разделы «Документы» и «Наставничество».",
    "period_start": D(2023, 3, 27),
    "period_end": D(2023, 4, 4),
    "as_of_date": D(2023, 4, 4),
    "deadline": D(2023, 4, 4),
}
SMOLENSK_SITE_CHECK_INDICATORS = ["R7"]

CURRENT_INDICATORS = ["F1", "F3", "F5", "F6", "F7", "R1", "R2", "R3", "R4", "R5"]


def at(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """A moment of a demo day, in the portal's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


SATISFACTION_TITLE = "Удовлетворённость участием в программе наставничества"
# The demo's finished survey rounds: the answer to the satisfaction question of the n-th response
# (8 of 10 are 4 or 5); every sixth invited person does not answer.
SATISFACTION_ANSWERS = (5, 4, 5, 3, 4, 5, 4, 2, 5, 4)
SILENT_EVERY = 6
FREQUENCY = ["Раз в неделю и чаще", "Два-три раза в месяц", "Раз в месяц", "Реже раза в месяц"]


@dataclass
class People:
    operator: object
    coordinator: object
    curators: dict  # organization id -> user


class MonitoringDemo:
    def __init__(self, today: datetime.date | None = None):
        self.today = today or timezone.localdate()
        self.region = Region.objects.get(code=REGION_CODE)
        self.oktyabrsky = Municipality.objects.get(code=OKTYABRSKY_CODE)
        self.schools = list(
            Organization.objects.filter(
                municipality__region=self.region, org_type=Organization.OrgType.SCHOOL
            ).order_by("code")
        )

    def build(self) -> dict:
        self.people = self.accounts()
        questionnaires = self.questionnaires()
        # Before the current campaign: its F5 and F6 are pre-filled from these rounds.
        survey_rounds = [self.survey_round(questionnaire) for questionnaire in questionnaires]
        result = {
            "campaigns": [
                self.oktyabrsky_2022(),
                self.smolensk_readiness(),
                self.smolensk_site_check(),
                self.current_campaign(),
            ],
            "roadmaps": [self.bryansk_roadmap(), self.smolensk_roadmap(), self.school_roadmap()],
            "questionnaires": questionnaires,
            "survey_rounds": survey_rounds,
        }
        return result

    # ------------------------------------------------------------ surveys of participants

    def questionnaires(self) -> list:
        """The default questionnaires of the federal model's satisfaction survey, one for mentors and one
        for mentees, each with its satisfaction question (F5, F6); no round is run: the campaigns'
        figures stay as typed (docs/domain.md §7)."""
        common = [
            (
                "Насколько вы удовлетворены участием в программе наставничества?",
                Question.Kind.SCALE,
                [],
                True,
            ),
            ("Насколько полезными были встречи с наставником?", Question.Kind.SCALE, [], False),
            ("Как часто проходили встречи?", Question.Kind.CHOICE, FREQUENCY, False),
            ("Что можно улучшить в программе наставничества?", Question.Kind.TEXT, [], False),
        ]
        mentor = [
            (
                "Насколько вы удовлетворены участием в программе наставничества?",
                Question.Kind.SCALE,
                [],
                True,
            ),
            ("Насколько вы удовлетворены взаимодействием с наставляемым?", Question.Kind.SCALE, [], False),
            ("Как часто проходили встречи?", Question.Kind.CHOICE, FREQUENCY, False),
            ("Что можно улучшить в программе наставничества?", Question.Kind.TEXT, [], False),
        ]
        made = []
        for audience, questions in (
            (Questionnaire.Audience.MENTEES, common),
            (Questionnaire.Audience.MENTORS, mentor),
        ):
            questionnaire, created = Questionnaire.objects.get_or_create(
                region=self.region,
                title=SATISFACTION_TITLE,
                audience=audience,
                defaults={
                    "anonymous": True,
                    "description": "Анкета анонимная. Оцените от 1 (совсем нет) до 5 (полностью да).",
                },
            )
            if created:
                for order, (text, kind, choices, satisfaction) in enumerate(questions, start=1):
                    Question.objects.create(
                        questionnaire=questionnaire,
                        order=order,
                        text=text,
                        kind=kind,
                        choices=choices,
                        required=kind != Question.Kind.TEXT,
                        counts_satisfaction=satisfaction,
                    )
            made.append(questionnaire)
        return made

    def current_opened_on(self) -> datetime.date:
        """The day the current school year's campaign opens: ten days ago, not before 1 September."""
        return max(self.today - 10 * DAY, D(school_year_of(self.today), 9, 1))

    def survey_round(self, questionnaire: Questionnaire) -> SurveyRound:
        """This school year's finished round of ``questionnaire`` over Oktyabrsky, through the services.

        The operator opens it on 1 September, when the year's pairs begin, for the period up to the day
        the current campaign opens (so that the campaign's F5 and F6 are pre-filled from it); five of
        six invited people answer, in the order of the curator's printed list, the satisfaction
        question as ``SATISFACTION_ANSWERS`` go round; closed on the period's last day. Found again
        by its title: a second run adds nothing.
        """
        year = school_year_of(self.today)
        title = (
            f"{questionnaire.title} ({questionnaire.get_audience_display()}), {year}/{year + 1} учебный год"
        )
        found = SurveyRound.objects.filter(questionnaire=questionnaire, title=title).first()
        if found is not None:
            return found
        operator = self.people.operator
        start, end = D(year, 9, 1), self.current_opened_on()
        survey_round = surveys.survey_round_create(
            user=operator,
            questionnaire=questionnaire,
            period_start=start,
            period_end=end,
            municipality=self.oktyabrsky,
            title=title,
        )
        survey_round = surveys.survey_round_open(user=operator, survey_round=survey_round, today=start)
        questions = list(questionnaire.questions.all())
        span = (end - start).days + 1
        answered = 0
        for k, (_, token) in enumerate(surveys.invitation_links(user=operator, survey_round=survey_round)):
            if k % SILENT_EVERY == SILENT_EVERY - 1:
                continue
            answers = {}
            for question in questions:
                if question.counts_satisfaction:
                    answers[question.pk] = SATISFACTION_ANSWERS[answered % len(SATISFACTION_ANSWERS)]
                elif question.kind == Question.Kind.SCALE:
                    answers[question.pk] = 5 - answered % 3
                elif question.kind == Question.Kind.CHOICE:
                    answers[question.pk] = 1 + answered % len(question.choices)
                elif answered % 7 == 0:
                    answers[question.pk] = "Больше встреч с наставником по расписанию."
            surveys.survey_answer(
                token=token,
                answers=answers,
                survey_round=survey_round,
                today=start + (k % span) * DAY,
            )
            answered += 1
        return surveys.survey_round_close(user=operator, survey_round=survey_round, today=end)

    # ------------------------------------------------------------ curators

    def accounts(self) -> People:
        """The demo's operator and coordinator, and a curator for every school (no password)."""
        User = get_user_model()
        operator = User.objects.get(username="operator")
        coordinator = User.objects.get(username="coordinator")
        usernames = {
            school.pk: "curator" if school.code == CURATOR_SCHOOL_CODE else f"curator-{school.code.lower()}"
            for school in self.schools
        }
        existing = set(
            User.objects.filter(username__in=usernames.values()).values_list("username", flat=True)
        )
        new_users = []
        for school in self.schools:
            username = usernames[school.pk]
            if username in existing:
                continue
            surname, *given = DemoBuilder.name(random.Random(f"curator/{school.code}")).split()
            host = urlsplit(school.site_url).hostname or "school.demo.example"
            new_users.append(
                User(
                    username=username,
                    last_name=surname,
                    first_name=" ".join(given),
                    email=f"kurator@{host}",
                    password=make_password(None),  # unusable: only the demo's ``curator`` logs in
                )
            )
        User.objects.bulk_create(new_users)
        users = {u.username: u for u in User.objects.filter(username__in=usernames.values())}
        scoped = set(UserScope.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
        UserScope.objects.bulk_create(
            [
                UserScope(
                    user=users[usernames[school.pk]],
                    role=UserScope.Role.CURATOR,
                    organization=school,
                    email_confirmed_at=timezone.now(),  # the demo's accounts are not asked
                )
                for school in self.schools
                if users[usernames[school.pk]].pk not in scoped
            ]
        )
        curators = {school.pk: users[usernames[school.pk]] for school in self.schools}
        return People(operator=operator, coordinator=coordinator, curators=curators)

    # ------------------------------------------------------------ campaigns

    def find(self, title: str, municipality: Municipality | None) -> Campaign | None:
        return Campaign.objects.filter(region=self.region, municipality=municipality, title=title).first()

    def create(self, user, fields: dict, indicators: list[str], municipality=None, *, opened) -> Campaign:
        campaign = svc.campaign_create(
            user=user,
            region=None if municipality else self.region,
            municipality=municipality,
            indicators=indicators,
            **fields,
        )
        # Created the day before it opened (``created_at`` is set on insert, not by the services).
        Campaign.objects.filter(pk=campaign.pk).update(created_at=opened - DAY)
        return svc.campaign_open(user=user, campaign=campaign, at=opened)

    def submissions(self, campaign: Campaign) -> list[Submission]:
        return list(campaign.submissions.select_related("organization").order_by("organization__code"))

    def send(self, submission: Submission, when: datetime.datetime, values: dict | None = None) -> Submission:
        curator = self.people.curators[submission.organization_id]
        return svc.submission_submit(user=curator, submission=submission, values=values, at=when)

    def oktyabrsky_2022(self) -> Campaign:
        """Seed 002: every school sends the registry's figures as of 30.12.2022; all accepted."""
        campaign = self.find(OKTYABRSKY_2022["title"], self.oktyabrsky)
        if campaign is not None:
            return campaign
        coordinator = self.people.coordinator
        campaign = self.create(
            coordinator,
            OKTYABRSKY_2022,
            OKTYABRSKY_INDICATORS,
            self.oktyabrsky,
            opened=at(D(2022, 12, 16), 10),
        )
        for k, submission in enumerate(self.submissions(campaign)):
            day = D(2022, 12, 19) + (k % 9) * DAY  # 19.12–27.12
            sent = at(day, 9 + k % 8, (k * 7) % 60)
            if k == 4:
                # One school first sends a figure it mistyped; returned, corrected, sent again.
                value = next(v for v in submission.values.all() if v.figure == "mentors:student_student")
                self.send(
                    submission,
                    sent,
                    {
                        value.figure: {
                            "value": value.value + 10,
                            "comment": "по данным классных руководителей",
                        }
                    },
                )
                svc.submission_return(
                    user=coordinator,
                    submission=submission,
                    comment="Число обучающихся-наставников не совпадает с базой наставников ОО: "
                    "проверьте и исправьте.",
                    at=at(day, 17),
                )
                day += DAY
                self.send(submission, at(day, 10), {value.figure: {"value": value.value, "comment": ""}})
            else:
                self.send(submission, sent)
            svc.submission_accept(user=coordinator, submission=submission, at=at(day + DAY, 15))
        svc.campaign_close(user=coordinator, campaign=campaign, at=at(D(2022, 12, 30), 17))
        return svc.campaign_publish(user=coordinator, campaign=campaign, at=at(D(2023, 1, 13), 10))

    def smolensk_readiness(self) -> Campaign:
        """Seed 003, 2.1: 228 of the 340 schools answer (chosen by a seeded draw); 112 never send."""
        campaign = self.find(SMOLENSK_READINESS["title"], None)
        if campaign is not None:
            return campaign
        operator = self.people.operator
        campaign = self.create(
            operator, SMOLENSK_READINESS, SMOLENSK_READINESS_INDICATORS, opened=at(D(2022, 12, 16), 9)
        )
        submissions = self.submissions(campaign)
        answering = set(
            random.Random("smolensk/readiness").sample(range(len(submissions)), READINESS_RESPONDENTS)
        )
        for k, submission in enumerate(submissions):
            if k not in answering:
                continue
            day = D(2022, 12, 16) + (k % 10) * DAY  # 16.12–25.12
            self.send(submission, at(day, 10 + k % 7, (k * 13) % 60))
            svc.submission_accept(user=operator, submission=submission, at=at(day + DAY, 12))
        svc.campaign_close(user=operator, campaign=campaign, at=at(D(2022, 12, 25), 23))
        return svc.campaign_publish(user=operator, campaign=campaign, at=at(D(2022, 12, 28), 10))

    def smolensk_site_check(self) -> Campaign:
        """Seed 003, 2.5: every school's site is checked; the registry knows the 254 «положения» on
        the sites (pre-filled «да» with the link), the other schools answer «нет»."""
        campaign = self.find(SMOLENSK_SITE_CHECK["title"], None)
        if campaign is not None:
            return campaign
        operator = self.people.operator
        campaign = self.create(
            operator, SMOLENSK_SITE_CHECK, SMOLENSK_SITE_CHECK_INDICATORS, opened=at(D(2023, 3, 27), 9)
        )
        prefilled = dict(
            campaign.submissions.filter(values__figure="regulation_on_site").values_list(
                "pk", "values__value"
            )
        )
        for k, submission in enumerate(self.submissions(campaign)):
            day = D(2023, 3, 27) + (k % 9) * DAY  # 27.03–04.04
            values = None if prefilled.get(submission.pk) is not None else {"regulation_on_site": "нет"}
            self.send(submission, at(day, 10 + k % 6, (k * 11) % 60), values)
            svc.submission_accept(user=operator, submission=submission, at=at(day, 17))
        svc.campaign_close(user=operator, campaign=campaign, at=at(D(2023, 4, 4), 18))
        return svc.campaign_publish(user=operator, campaign=campaign, at=at(D(2023, 4, 10), 10))

    def current_campaign(self) -> Campaign:
        """Open today: opened ten days ago (not before 1 September), due in two weeks; some schools
        have sent (two were returned for rework), the demo curator's school has its draft to fill."""
        year = school_year_of(self.today)
        title = f"Мониторинг реализации целевой модели наставничества, {year}/{year + 1} учебный год"
        coordinator = self.people.coordinator
        campaign = self.find(title, self.oktyabrsky)
        if campaign is not None:
            if campaign.status == Campaign.Status.OPEN and campaign.deadline < self.today:
                deadline = self.today + 14 * DAY  # a later run keeps the demo's campaign open
                svc.campaign_update(
                    user=coordinator,
                    campaign=campaign,
                    deadline=deadline,
                    period_end=max(campaign.period_end, deadline),
                )
            return campaign
        opened_on = self.current_opened_on()
        deadline = self.today + 14 * DAY
        fields = {
            "title": title,
            "organizer": OKTYABRSKY_ORGANIZER,
            "basis_number": "41",
            "basis_date": opened_on,
            "basis_title": "О проведении мониторинга реализации целевой модели наставничества",
            "goal": "Выявление количества участников, вовлеченных в наставничество, по формам "
            "наставничества; достижение показателей внедрения целевой модели наставничества.",
            "method": Campaign.Method.SPREADSHEETS,
            "method_text": "Данные реестра наставничества, проверенные и подтверждённые кураторами ОО.",
            "period_start": opened_on,
            "period_end": deadline,
            "as_of_date": opened_on,
            "deadline": deadline,
        }
        campaign = self.create(
            coordinator, fields, CURRENT_INDICATORS, self.oktyabrsky, opened=at(opened_on, 9)
        )
        senders = [s for s in self.submissions(campaign) if s.organization.code != CURATOR_SCHOOL_CODE][:8]
        for k, submission in enumerate(senders):
            day = opened_on + (k + 1) * DAY
            if day >= self.today:
                break
            self.send(submission, at(day, 11, k * 5))
            if k % 4 == 0:
                svc.submission_accept(user=coordinator, submission=submission, at=at(day, 16))
            elif k % 4 == 1:
                svc.submission_return(
                    user=coordinator,
                    submission=submission,
                    comment="Сверьте число обучающихся-наставников с приказом о закреплении пар.",
                    at=at(day, 16),
                )
        return campaign

    # ------------------------------------------------------------ road maps

    def roadmap(self, fields: dict, events: list[dict], organization: Organization | None = None) -> RoadMap:
        owner = (
            {"level": RoadMap.Level.ORGANIZATION, "organization": organization,
             "municipality": organization.municipality}
            if organization
            else {"level": RoadMap.Level.REGION}
        )  # fmt: skip
        roadmap = RoadMap.objects.filter(region=self.region, title=fields["title"], **owner).first()
        if roadmap is None:
            roadmap = RoadMap(region=self.region, **owner, **fields)
            roadmap.full_clean()
            roadmap.save()
        if not roadmap.events.exists():
            for order, event in enumerate(events, start=1):
                RoadMapEvent(roadmap=roadmap, sort_order=order * 10, **event).save()
        return roadmap

    def school_roadmap(self) -> RoadMap:
        """Seed 001: the demo curator's school, preparatory stage of the target model, September 2020 –
        May 2021; every event carried out, the district trend session of 11.03.2021 among them."""
        school = Organization.objects.get(code=CURATOR_SCHOOL_CODE)
        fields = {
            "title": "Дорожная карта реализации целевой модели наставничества в МБОУ «СОШ № 16» "
            "на 2020–2023 годы",
            "basis_title": "Приказ руководителя школы «О внедрении целевой модели наставничества»",
            "basis_date": D(2020, 9, 1),
            "period_start": D(2020, 9, 1),
            "period_end": D(2023, 5, 31),
        }
        done = RoadMapEvent.Status.DONE
        deputy = "Заместитель директора по ВР (руководитель проектной группы)"
        events = [
            {
                "number": "1",
                "title": "Назначение руководителя и утверждение состава проектной группы по внедрению "
                "целевой модели наставничества, назначение куратора",
                "timing_text": "Сентябрь 2020",
                "responsible": "Директор школы",
                "result": "Изданы приказы о внедрении целевой модели и о назначении куратора и наставников",
            },
            {
                "number": "2",
                "title": "Разработка положения о наставничестве, целевой модели и «Дорожной карты», "
                "размещение на сайте школы",
                "timing_text": "Сентябрь 2020",
                "responsible": deputy,
                "result": "Документы утверждены и размещены на сайте школы",
            },
            {
                "number": "3",
                "title": "Формирование базы наставников и наставляемых, утверждение наставнических пар",
                "timing_text": "Октябрь 2020",
                "responsible": deputy,
                "result": "Созданы базы наставников и наставляемых",
            },
            {
                "number": "4",
                "title": "Обучение команды школы на курсах повышения квалификации «Реализация целевой модели "
                "наставничества в образовательных организациях»",
                "timing_text": "Ноябрь 2020",
                "responsible": deputy,
                "result": "Команда школы прошла обучение",
            },
            {
                "number": "5",
                "title": "Участие руководителя школы в цикле вебинаров по проблемам реализации "
                "целевой модели наставничества",
                "timing_text": "Январь 2021",
                "responsible": "Директор школы",
                "result": "Руководитель школы принял участие в цикле вебинаров",
            },
            {
                "number": "6",
                "title": "Районная тренд-сессия «Ставь на будущее» (региональная инновационная площадка)",
                "timing_text": "11.03.2021",
                "responsible": deputy,
                "result": "Приняли участие 48 человек из 15 организаций: опыт реализации модели "
                "наставничества, "
                "тренинг «Личная и командная эффективность – работа на результат»",
                "participants": 48,
            },
        ]
        return self.roadmap(fields, [{"status": done, **event} for event in events], organization=school)

    def bryansk_roadmap(self) -> RoadMap:
        """Seed 000: the eight events of the note, all carried out (responsible persons invented)."""
        fields = {
            "title": "Мероприятия по организации наставничества в образовательных организациях "
            "(методическое сопровождение школ с низкими образовательными результатами) на 2020–2022 годы",
            "basis_title": "Приказ Министерства образования Демонстрационной области «Об утверждении "
            "программы, плана мониторинга системы методического сопровождения общеобразовательных "
            "организаций, имеющих низкие образовательные результаты обучающихся, на 2020 - 2022 гг»",
            "period_start": D(2020, 1, 1),
            "period_end": D(2022, 12, 31),
        }
        head, courses, community, primary = "О.Г. Васильева", "Т.В. Уварова", "М.В. Зуева", "И.П. Миронова"
        done = RoadMapEvent.Status.DONE
        events = [
            {
                "number": "1",
                "title": "Региональный конкурс среди ОО на присвоение статуса инновационных площадок",
                "goal": "Структурное и содержательное обновление системы образования области",
                "timing_text": "Ноябрь 2020 года",
                "responsible": head,
                "expected_result": "Распространение инновационного опыта",
                "result": "Распространение передового педагогического опыта образовательными организациями, "
                "являющимися инновационными площадками",
            },
            {
                "number": "2",
                "title": "Организация сетевого взаимодействия",
                "goal": "Закрепление за ШНОР образовательных организаций-наставников",
                "timing_text": "Январь 2021 года",
                "responsible": head,
                "expected_result": "Оказание адресной методической помощи",
                "result": "Созданы наставнические пары «образовательная организация – образовательная "
                "организация» (школы-наставники для ШНОР)",
            },
            {
                "number": "3",
                "title": "Командные (учитель-наставник и наставляемый) курсы повышения квалификации по теме "
                "«Наставничество как универсальная технология передачи опыта»",
                "goal": "Создание наставнических пар учителей Берёзовского района",
                "timing_text": "Январь 2021 года",
                "responsible": courses,
                "expected_result": "Раскрытие потенциала личности молодого педагога, необходимое для "
                "профессиональной самореализации. Развитие системы наставничества",
                "result": "Прошли повышение квалификации в системе наставничества 75 педагогов",
                "participants": 75,
            },
            {
                "number": "4",
                "title": "Отбор ОО, демонстрирующих высокие результаты, в качестве школ-наставников "
                "(стажировочные площадки)",
                "goal": "Изучение опыта ОО по повышению качества образовательных результатов",
                "timing_text": "Январь 2021 года",
                "responsible": head,
                "expected_result": "Оказание адресной методической помощи",
                "result": "Распространение передового педагогического опыта образовательными организациями, "
                "являющимися стажировочными площадками",
            },
            {
                "number": "5",
                "title": "Организация методической помощи профессиональным сообществам",
                "goal": "Создание регионального учебно-методического объединения",
                "timing_text": "Январь 2021 года",
                "responsible": community,
                "expected_result": "Развитие сетевых сообществ",
            },
            {
                "number": "6",
                "title": "Организация курсов повышения квалификации по теме «Старт в профессию» для молодых "
                "учителей начальных классов",
                "goal": "Оказание методической помощи молодым учителям начальных классов",
                "timing_text": "Март 2021 года",
                "responsible": primary,
                "expected_result": "Раскрытие потенциала личности молодого педагога, необходимое для "
                "профессиональной самореализации",
            },
            {
                "number": "7",
                "title": "Курсы повышения квалификации для учителей-наставников (русский язык) по теме "
                "«Наставничество как универсальная технология передачи опыта»",
                "goal": "Повышение компетенции учителей по выполнению функции наставника в образовательной "
                "организации",
                "timing_text": "Апрель 2021 года",
                "responsible": courses,
                "expected_result": "Развитие системы наставничества",
                "result": "Учителя русского языка прошли повышение квалификации и вошли в актив наставников",
            },
            {
                "number": "8",
                "title": "Организация методической помощи педагогам на основе оценочных процедур",
                "goal": "Разработка индивидуального образовательного маршрута",
                "timing_text": "Март 2021 года",
                "responsible": head,
                "expected_result": "Обеспечение повышения компетенций педагогических работников",
            },
        ]
        return self.roadmap(fields, [{"status": done, **event} for event in events])

    def smolensk_roadmap(self) -> RoadMap:
        """Seed 003: the 2022–2024 plan's events by direction, with their results (people and
        schools of the demo; links to the demo's own site)."""
        fields = {
            "title": "План мероприятий («дорожная карта») по внедрению и развитию системы наставничества "
            "педагогических работников образовательных организаций на 2022–2024 годы",
            "basis_number": ORDER_933["basis_number"],
            "basis_date": ORDER_933["basis_date"],
            "basis_title": "Приказ Министерства образования Демонстрационной области "
            f"«{ORDER_933['basis_title']}»",
            "period_start": D(2022, 11, 8),
            "period_end": D(2024, 12, 31),
        }
        site = "https://iro.demo.example/cnppm"
        winner = (
            ContestEntry.objects.filter(
                contest__region=self.region,
                contest__title="Педагогический дуэт",
                result=ContestEntry.Result.WINNER,
            )
            .select_related("organization")
            .first()
        )
        winner_school = winner.organization.full_name if winner else "общеобразовательная организация"
        city = Municipality.objects.get(code="M02")
        coached = Organization.objects.filter(
            municipality=city, org_type=Organization.OrgType.SCHOOL
        ).order_by("code")
        coached_school = coached.first().full_name if coached.exists() else "общеобразовательная организация"
        marathon_school = coached.last().full_name if coached.exists() else "общеобразовательная организация"
        Status = RoadMapEvent.Status
        coordinators = (
            "муниципальные координаторы системы наставничества и руководители образовательных организаций"
        )
        teachers = "Педагогические работники общеобразовательных организаций, педагоги-наставники"
        d1 = "Направление 1. Нормативное обеспечение системы наставничества педагогических работников"
        d2 = (
            "Направление 2. Организационные и координационные меры по внедрению и развитию системы "
            "наставничества педагогических работников"
        )
        d3 = (
            "Направление 3. Организационно-методическое сопровождение внедрения и развития системы "
            "наставничества педагогических работников"
        )
        d4 = (
            "Направление 4. Информационное сопровождение внедрения и развития системы наставничества "
            "педагогических работников"
        )
        events = [
            {
                "direction": d1,
                "number": "1.1",
                "title": "Назначение регионального оператора, ответственного за внедрение и развитие системы "
                "наставничества педагогических работников образовательных организаций",
                "audience": "ОМСУ, образовательные организации",
                "timing_text": "Ноябрь 2022",
                "result": "Региональным оператором назначен ГАУ ДПО «Институт развития образования "
                "Демонстрационной области» (приказ Министерства образования Демонстрационной области "
                "от 08.11.2022 № 933-ОД)",
                "status": Status.DONE,
            },
            {
                "direction": d1,
                "number": "1.2.",
                "title": "Разработка и утверждение нормативных документов, обеспечивающих внедрение и "
                "развитие системы наставничества педагогических работников образовательных организаций: "
                "муниципальный план по внедрению и развитию системы наставничества педагогических "
                "работников образовательных организаций; положение о системе наставничества педагогических "
                "работников образовательных организаций; план мероприятий по реализации положения о системе "
                "наставничества педагогических работников образовательных организаций",
                "audience": "ОМСУ, образовательные организации",
                "timing_text": "2022/2023 учебный год",
                "result": "Все ОМСУ разработали муниципальные планы. По итогам мониторинга сайтов "
                "общеобразовательных организаций необходимые нормативные документы размещены на сайте "
                "75% школ",
                "status": Status.PARTIAL,
            },
            {
                "direction": d1,
                "number": "1.3",
                "title": "Разработка и утверждения мер стимулирования наставников",
                "audience": "Наставники педагогических работников",
                "timing_text": "Февраль 2023",
                "result": "В ЦНППМ на основе договоров ГПХ сформирован перечень региональных методистов, "
                "работающих на основе договоров ГПХ (73 человека). С 2023 года в перечень оплачиваемых работ "
                "входит сопровождение индивидуальных программ наставничества педагогических работников "
                "с высоким уровнем профессиональных дефицитов из расчета 5 часов на 1 программу.",
                "participants": 73,
                "status": Status.DONE,
            },
            {
                "direction": d2,
                "number": "2.1",
                "title": "Мониторинг готовности образовательных организаций к внедрению системы "
                "наставничества педагогических работников",
                "audience": "муниципальные координаторы системы наставничества (27 человек) и руководители "
                "образовательных организаций (228 школ)",
                "timing_text": "16.12.2022-25.12.2022 год",
                "result": "Целью проведения мониторинга стало определение готовности образовательных "
                "организаций к внедрению системы наставничества педагогических работников Демонстрационной "
                "области. Из 340 ОО Демонстрационной области в мониторинге приняли участие 228 "
                "общеобразовательных организаций, что составляет 67 % от общего количества "
                "общеобразовательных организаций.",
                "participants": 228,
                "links": f"{site}/monitoring/2022-12/",
                "status": Status.DONE,
            },
            {
                "direction": d2,
                "number": "2.2",
                "title": "Координационное совещание с ОМСУ по вопросам внедрения и развития системы "
                "наставничества педагогических работников",
                "audience": coordinators,
                "timing_text": "13.12 2022 год",
                "result": "Инструктивное совещание по вопросу реализации регионального плана мероприятий "
                "(«дорожной карты») по внедрению и развитию системы наставничества педагогических работников "
                "образовательных организаций. В мероприятии приняли участие 27 специалистов органов местного "
                "самоуправления, осуществляющих управление в сфере образования, курирующие методическую "
                "работу. В ходе совещания был рассмотрен пакет нормативных документов, регламентирующих "
                "внедрение и развитие системы педагогического наставничества, представлен план мероприятий "
                "по внедрению и развитию системы наставничества педагогических работников образовательных "
                "организаций Демонстрационной области на 2022-2024 годы, согласованы первоочередные действия "
                "на начало 2023 года",
                "participants": 27,
                "links": f"{site}/news/87749/",
                "status": Status.DONE,
            },
            {
                "direction": d2,
                "number": "2.4",
                "title": "Консультации руководителей ОО по вопросам внедрения и развития системы "
                "наставничества педагогических работников",
                "audience": coordinators,
                "timing_text": "Январь-июнь 2023",
                "result": "За 1 полугодие проведено 46 консультаций по вопросам содействия в оформлении "
                "документации к программам наставничества, их реализации в соответствии с направлениями.",
                "links": f"{site}/consultations/2023/",
                "status": Status.DONE,
            },
            {
                "direction": d2,
                "number": "2.5",
                "title": "Мониторинг процесса внедрения и развития системы наставничества педагогических "
                "работников образовательных организаций Демонстрационной области",
                "audience": coordinators,
                "timing_text": "27.03 – 04.04.2023",
                "result": "Цель проведения мониторинга – выявление актуального состояния внедрения "
                "педагогического наставничества в образовательных организациях общего образования. "
                "Мониторинг осуществлялся в форме контроля размещения на официальных сайтах образовательных "
                "организаций индивидуальных программ педагогического наставничества. Был проведён мониторинг "
                "разделов Документы и Наставничество официальных сайтов 340 (100%) образовательных "
                "организаций общего образования Демонстрационной области. Из них положения о педагогическом "
                "наставничестве размещены на официальных сайтах 254 общеобразовательных организаций, что "
                "составляет 75 % от общего числа ОО региона.",
                "participants": 340,
                "links": f"{site}/monitoring/2023-04/",
                "status": Status.DONE,
            },
            {
                "direction": d3,
                "number": "3.1",
                "title": "Цикл вебинаров для руководителей образовательных организаций по проблемам "
                "внедрения системы наставничества педагогических работников",
                "audience": "Муниципальные координаторы, управленческие команды школ",
                "timing_text": "13.03.2023",
                "result": "Вебинар для муниципальных координаторов системы наставничества и руководителей "
                "образовательных организаций по проблемам внедрения системы наставничества педагогических "
                "работников. В вебинаре приняли участие руководители (заместители руководителей) и педагоги "
                "общеобразовательных организаций муниципального образования. Всего 121 подключение. "
                "В программе вебинара: 1. Результаты мониторинга. 2. Предстоящие мероприятия. 3. Реализация "
                "дорожной карты и плана работы педагога-наставника.",
                "participants": 121,
                "links": f"{site}/webinars/2023-03-13/",
                "status": Status.DONE,
            },
            {
                "direction": d3,
                "number": "3.2",
                "title": "Повышение квалификации наставников и кандидатов в наставники",
                "audience": teachers,
                "timing_text": "24.01-31.01.2023 21.02-24.03.2023",
                "result": "ЦНППМ: курсы повышения квалификации «Организация наставничества педагогических "
                "работников в образовательной организации», обучено 30 человек. ФГАОУ ДПО «Академия "
                "Минпросвещения России»: курс «Наставничество в образовательной организации», обучено "
                "100 педагогических работников",
                "participants": 130,
                "links": f"{site}/news/88127/",
                "status": Status.DONE,
            },
            {
                "direction": d3,
                "number": "3.3",
                "title": "Информирование и координация участия педагогов-наставников в курсах повышения "
                "квалификации, реализуемых ФГАОУ ДПО «Академия Минпросвещения России»",
                "audience": teachers,
                "timing_text": "2022/2023 учебный год",
                "result": "Информирование о мероприятиях ФГАОУ ДПО «Академия Минпросвещения России» "
                "осуществлялось через новостную страницу ЦНППМ, Telegram-канал ЦНППМ, адресные рассылки",
                "links": f"{site}/news/88013/",
                "status": Status.DONE,
            },
            {
                "direction": d3,
                "number": "3.4",
                "title": "Образовательные интенсивы для наставников и кандидатов в наставники",
                "audience": teachers,
                "timing_text": "-",
                "result": "На 1 полугодие 2023 года запросы на образовательные интенсивы не поступали. "
                "Работы планируются с сентября 2023 года",
                "status": Status.POSTPONED,
            },
            {
                "direction": d3,
                "number": "3.5",
                "title": "Коуч-сессия (консультационные сессии) по проблемам реализации программ "
                "наставничества педагогических работников",
                "audience": f"Управленческая команда {coached_school}",
                "timing_text": "По запросу",
                "result": "В 2022/2023 учебном году активных запросов от образовательных организаций не "
                "поступало. В период с 15.06 по 23.06.2023 года в рамках управленческого интенсива для "
                f"{coached_school} проведена консультационная сессия для 5 членов управленческой команды. "
                "Тема «Система наставничества педагогов в проекте «Школа Минпросвещения России»",
                "participants": 5,
                "status": Status.DONE,
            },
            {
                "direction": d3,
                "number": "3.6",
                "title": "Методические рекомендации по вопросам организации наставничества педагогических "
                "работников в образовательной организации",
                "audience": "Руководители и заместители руководителей ОО",
                "timing_text": "Май 2023",
                "result": "ЦНППМ подготовил методические рекомендации в эл. виде: Методические рекомендации "
                "по вопросам организации наставничества педагогических работников в образовательных "
                "организациях / сост. Е.А. Белова. – ИРО Демонстрационной области, 2023. – 28 с.",
                "status": Status.DONE,
            },
            {
                "direction": d3,
                "number": "3.9",
                "title": "Банк эффективных практик наставничества педагогических работников",
                "audience": "Педагогические работники ОО",
                "timing_text": "Апрель 2023",
                "result": "Сформирован банк эффективных практик наставничества. По состоянию на июнь 2023 "
                "года в банк практик вошли работы 26 наставнических пар «молодой педагог – опытный педагог», "
                "работающие в образовательных организациях дошкольного, общего и дополнительного образования "
                "детей. Работы по формированию банка будут продолжены в сентябре 2023 года",
                "status": Status.DONE,
            },
            {
                "direction": d3,
                "number": "3.11",
                "title": "Конкурс для наставников и наставляемых «Педагогический дуэт»",
                "audience": "наставнические пары «молодой педагог – опытный педагог», работающие "
                "в образовательных организациях дошкольного, общего и дополнительного образования детей",
                "timing_text": "3.04-28.04.2023",
                "result": "Цель конкурса – выявление и распространение эффективных практик наставничества "
                "педагогических работников в образовательных организациях. В конкурсе приняли участие 26 "
                "наставнических пар «молодой педагог – опытный педагог», работающие в образовательных "
                "организациях дошкольного, общего и дополнительного образования детей. Из них 10 "
                "наставнических пар представляли дошкольные образовательные организации, 15 пар – "
                "общеобразовательные организации и только 1 наставническая пара была из образовательной "
                "организации дополнительного образования детей. По итогам конкурса была определена "
                f"наставническая пара победителей конкурса – {winner_school}.",
                "links": f"{site}/news/88703/",
                "status": Status.DONE,
            },
            {
                "direction": d4,
                "number": "4.1",
                "title": "Создание и актуализация реестров: база данных наставников; реестр ОО, реализующих "
                "программы наставничества; банк эффективных практик",
                "audience": teachers,
                "timing_text": "Февраль 2023 Апрель 2023",
                "result": "Реестр наставников – региональных методистов. Сформирован банк эффективных "
                "практик наставничества. По состоянию на июнь 2023 года в банк практик вошли работы 26 "
                "наставнических пар «молодой педагог – опытный педагог». Формирование электронной версии "
                "банка запланировано во 2 полугодии 2023 года",
                "status": Status.PARTIAL,
            },
            {
                "direction": d4,
                "number": "4.2",
                "title": "Создание и актуализация раздела «Педагогическое наставничество» на сайте "
                "ГАУ ДПО «Институт развития образования Демонстрационной области»",
                "audience": teachers,
                "timing_text": "Ноябрь 2022",
                "result": "На сайте ЦНППМ разработан раздел «Педагогическое наставничество». В октябре 2023 "
                "запланирована реорганизация раздела",
                "links": f"{site}/nastavnichestvo/",
                "status": Status.DONE,
            },
            {
                "direction": d4,
                "number": "4.3",
                "title": "Информирование руководителей ОО и педагогов-наставников о возможностях участия "
                "в межрегиональных конференциях, фестивалях, форумах по обмену опыта работы. Формирование "
                "реестра участников межрегиональных конференций, фестивалей, форумов по обмену опыта работы",
                "audience": teachers,
                "timing_text": "В течение всего периода",
                "result": "Информирование участников осуществлялось через официальный сайт ИРО, "
                "telegram-канал ЦНППМ, информационную рассылку в ОМСУ. Во Всероссийском марафоне лучших "
                f"наставнических практик участие {marathon_school}",
                "status": Status.DONE,
            },
            {
                "direction": d4,
                "number": "3.4",  # as numbered in the report
                "title": "Информационное освещение внедрения и развития системы наставничества "
                "педагогических работников на официальном сайте ГАУ ДПО «Институт развития образования "
                "Демонстрационной области»",
                "audience": teachers,
                "timing_text": "В течение всего периода",
                "links": "\n".join(
                    f"{site}/news/{n}/"
                    for n in (87462, 87749, 88013, 88127, 88125, 88472, 88610, 88703, 88838)
                ),
                "status": Status.DONE,
            },
        ]
        return self.roadmap(fields, events)


def seed_monitoring(today: datetime.date | None = None) -> dict:
    """Road maps and campaigns of the demo region (after ``registry.demo.seed_demo``); idempotent."""
    with transaction.atomic():
        return MonitoringDemo(today).build()
