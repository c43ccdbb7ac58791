"""The one table of write rules (``registry.access.WRITE_RULES``, docs/architecture.md §7).

For every kind of object and action in the table: its own curator, coordinator, operator or admin
may change it as the rule says, the same role of another school, municipality or region may not.
And every model a page writes (the scope model of a page that changes something) has a rule.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from monitoring import rights as monitoring_rights
from monitoring.models import (
    Campaign,
    MunicipalityApproval,
    Questionnaire,
    RoadMap,
    Submission,
    SurveyRound,
)
from registry import access
from registry.models import (
    Contest,
    ContestEntry,
    ImportJob,
    MethodistRegistryEntry,
    NormativeDocument,
    Organization,
    PlanTemplate,
    PracticeBankEntry,
    TrainingCompletion,
    TrainingCourse,
)
from registry.permissions import PAGES
from reports import rights as report_rights
from reports.models import Kind, Report
from tests import factories as f

DAY = datetime.date(2024, 9, 1)
CURATOR, COORDINATOR, OPERATOR, ADMIN = "curator", "coordinator", "operator", "admin"
MENTOR = "mentor"  # a mentor's own account: its own pairs (w.pair()) only
SCHOOL = frozenset({CURATOR, ADMIN})
OWN_PAIR = SCHOOL | {MENTOR}
MUNICIPALITY = frozenset({COORDINATOR, ADMIN})
REGION = frozenset({OPERATOR, ADMIN})
RUNNERS = frozenset({COORDINATOR, OPERATOR, ADMIN})


class World:
    """A school in a municipality of a region, with the users of each level; and strangers: the same
    roles for another school and municipality of the region, and for another region."""

    def __init__(self):
        self.school = f.make_organization()
        self.municipality = self.school.municipality
        self.region = self.municipality.region
        other_school = f.make_organization(municipality=f.make_municipality(region=self.region))
        far_school = f.make_organization()
        self.mentor_person = f.make_person(organization=self.school)
        self.own = {
            MENTOR: f.make_user(role=MENTOR, person=self.mentor_person),
            CURATOR: f.make_user(role=CURATOR, organization=self.school),
            COORDINATOR: f.make_user(role=COORDINATOR, municipality=self.municipality),
            OPERATOR: f.make_user(role=OPERATOR, region=self.region),
            ADMIN: f.make_user(role=ADMIN),
        }
        self.strangers = {
            CURATOR: f.make_user(role=CURATOR, organization=other_school),
            COORDINATOR: f.make_user(role=COORDINATOR, municipality=other_school.municipality),
            OPERATOR: f.make_user(role=OPERATOR, region=far_school.municipality.region),
            # another mentor of the same school, with a pair of its own
            MENTOR: f.make_user(
                role=MENTOR, person=f.make_mentorship(organization=self.school).mentor_person
            ),
        }

    def pair(self):
        """A pair of the school mentored by the own mentor's person."""
        return f.make_mentorship(organization=self.school, mentor_person=self.mentor_person)

    def person(self):
        return f.make_person(organization=self.school)

    def course(self):
        return TrainingCourse.objects.create(
            region=self.region, title="Курс", provider="ИРО", start_date=DAY, end_date=DAY
        )

    def contest(self):
        return Contest.objects.create(region=self.region, title="Конкурс", start_date=DAY, end_date=DAY)

    def campaign(self, municipality=None):
        campaign = Campaign.objects.create(
            region=self.region,
            municipality=municipality,
            title="Мониторинг",
            period_start=DAY,
            period_end=DAY,
            as_of_date=DAY,
            deadline=DAY,
        )
        campaign.target_municipalities.add(self.municipality)  # as creating a campaign lists them
        return campaign

    def submission(self):
        campaign = self.campaign(self.municipality)
        return Submission.objects.create(
            campaign=campaign, organization=self.school, municipality=self.municipality
        )

    def approval(self):
        return MunicipalityApproval.objects.create(campaign=self.campaign(), municipality=self.municipality)

    def roadmap(self, level):
        roadmap = self.new_roadmap(level)
        roadmap.save()
        return roadmap

    def new_roadmap(self, level):
        owner = {
            RoadMap.Level.REGION: {},
            RoadMap.Level.MUNICIPALITY: {"municipality": self.municipality},
            RoadMap.Level.ORGANIZATION: {"municipality": self.municipality, "organization": self.school},
        }[level]
        return RoadMap(title="План", level=level, region=self.region, **owner)

    def questionnaire(self):
        return Questionnaire.objects.create(region=self.region, title="Анкета", audience="mentees")

    def survey_round(self):
        survey_round = SurveyRound.objects.create(
            questionnaire=self.questionnaire(),
            region=self.region,
            title="Опрос",
            period_start=DAY,
            period_end=DAY,
            token_key="k",
        )
        survey_round.municipalities.add(self.municipality)  # as creating a round lists them
        survey_round.organizations.add(self.school)  # as opening it lists the invited schools
        return survey_round

    def new_practice(self):
        return PracticeBankEntry(
            region=self.region,
            organization=self.school,
            mentoring_form=f.form("teacher_teacher"),
            title="Практика",
            submitted_on=DAY,
        )

    def report(self, kind, **territory):
        return Report.objects.create(kind=kind, region=self.region, **territory)


# (label, action): [(what, build(world) -> object, the roles of its own territory that may write)]
CASES = {
    ("registry.organization", access.CARD): [("school card", lambda w: w.school, SCHOOL)],
    ("registry.organization", access.STATUS): [("school status", lambda w: w.school, REGION)],
    ("registry.organization", access.WORKBOOK): [("school's workbook", lambda w: w.school, SCHOOL)],
    ("registry.normativedocument", access.EDIT): [
        (
            "school's document",
            lambda w: NormativeDocument.objects.create(
                region=w.region,
                municipality=w.municipality,
                organization=w.school,
                level=NormativeDocument.Level.ORGANIZATION,
                doc_type=NormativeDocument.DocType.ORDER,
                date=DAY,
                title="Приказ",
            ),
            SCHOOL,
        )
    ],
    ("registry.person", access.EDIT): [("person", lambda w: w.person(), SCHOOL)],
    ("registry.person", access.PERSONAL_DATA): [
        ("person", lambda w: w.person(), SCHOOL),
        ("the mentor's own person", lambda w: w.mentor_person, SCHOOL),
    ],
    ("registry.person", access.INVITE): [("person", lambda w: w.person(), frozenset({CURATOR}))],
    ("registry.mentorship", access.EDIT): [("pair", lambda w: w.pair(), SCHOOL)],
    ("registry.mentorship", access.STATUS): [("pair", lambda w: w.pair(), SCHOOL)],
    ("registry.mentoringplan", access.EDIT): [
        ("plan", lambda w: f.make_plan(w.pair()), OWN_PAIR),
        (
            "plan of another mentor's pair",
            lambda w: f.make_plan(f.make_mentorship(organization=w.school)),
            SCHOOL,
        ),
    ],
    ("registry.planitem", access.EDIT): [("plan item", lambda w: f.make_plan_item(w.pair()), OWN_PAIR)],
    ("registry.meeting", access.EDIT): [
        ("meeting", lambda w: f.make_meeting(w.pair()), OWN_PAIR),
        (
            "meeting of another mentor's pair",
            lambda w: f.make_meeting(f.make_mentorship(organization=w.school)),
            SCHOOL,
        ),
    ],
    ("registry.trainingcourse", access.EDIT): [("course", lambda w: w.course(), REGION)],
    ("registry.trainingcompletion", access.EDIT): [
        (
            "completion",
            lambda w: TrainingCompletion.objects.create(
                course=w.course(), person=w.person(), completed_on=DAY
            ),
            REGION,
        )
    ],
    ("registry.contest", access.EDIT): [("contest", lambda w: w.contest(), REGION)],
    ("registry.contestentry", access.EDIT): [
        (
            "entry",
            lambda w: ContestEntry.objects.create(contest=w.contest(), organization=w.school, title="Пара"),
            REGION,
        )
    ],
    ("registry.practicebankentry", access.SUBMIT): [
        (
            "new practice of the school: its curator, not the admin",
            lambda w: w.new_practice(),
            {CURATOR},
        )
    ],
    ("registry.practicebankentry", access.REVIEW): [
        (
            "practice",
            lambda w: PracticeBankEntry.objects.create(
                region=w.region,
                organization=w.school,
                mentoring_form=f.form("teacher_teacher"),
                title="Практика",
                submitted_on=DAY,
            ),
            REGION,
        )
    ],
    ("registry.methodistregistryentry", access.EDIT): [
        (
            "methodist",
            lambda w: MethodistRegistryEntry.objects.create(region=w.region, person=w.person()),
            REGION,
        )
    ],
    # pk=None: a new job's uuid is drawn at construction, and it is not a stored row yet
    ("registry.importjob", access.IMPORT): [("new import", lambda w: ImportJob(pk=None), frozenset({ADMIN}))],
    ("auth.user", access.ACCOUNTS): [("new account", lambda w: get_user_model()(), frozenset({ADMIN}))],
    ("monitoring.campaign", monitoring_rights.CREATE): [
        (
            "new municipal campaign",
            lambda w: Campaign(region=w.region, municipality=w.municipality),
            MUNICIPALITY,
        ),
        ("new regional campaign", lambda w: Campaign(region=w.region), REGION),
    ],
    ("monitoring.campaign", monitoring_rights.MANAGE): [
        ("municipal campaign", lambda w: w.campaign(w.municipality), MUNICIPALITY),
        ("regional campaign", lambda w: w.campaign(), REGION),
    ],
    ("monitoring.campaign", monitoring_rights.REMIND): [
        ("municipal campaign", lambda w: w.campaign(w.municipality), MUNICIPALITY),
        ("regional campaign: its operator and the coordinators it covers", lambda w: w.campaign(), RUNNERS),
    ],
    ("monitoring.submission", monitoring_rights.REVIEW): [("submission", lambda w: w.submission(), RUNNERS)],
    ("monitoring.submission", monitoring_rights.FILL): [("submission", lambda w: w.submission(), SCHOOL)],
    ("monitoring.municipalityapproval", monitoring_rights.SIGN): [
        ("municipality of a regional campaign", lambda w: w.approval(), MUNICIPALITY)
    ],
    ("monitoring.municipalityapproval", monitoring_rights.APPROVE): [
        ("municipality of a regional campaign", lambda w: w.approval(), REGION)
    ],
    ("monitoring.roadmap", monitoring_rights.CREATE): [
        ("new school's map", lambda w: w.new_roadmap(RoadMap.Level.ORGANIZATION), SCHOOL),
        (
            "new municipality's map",
            lambda w: w.new_roadmap(RoadMap.Level.MUNICIPALITY),
            MUNICIPALITY,
        ),
        ("new region's map", lambda w: w.new_roadmap(RoadMap.Level.REGION), REGION),
    ],
    ("monitoring.roadmap", access.EDIT): [
        ("school's map", lambda w: w.roadmap(RoadMap.Level.ORGANIZATION), SCHOOL),
        ("municipality's map", lambda w: w.roadmap(RoadMap.Level.MUNICIPALITY), MUNICIPALITY),
        ("region's map", lambda w: w.roadmap(RoadMap.Level.REGION), REGION),
    ],
    ("monitoring.questionnaire", access.EDIT): [("questionnaire", lambda w: w.questionnaire(), REGION)],
    ("registry.plantemplate", access.EDIT): [
        (
            "plan template",
            lambda w: PlanTemplate.objects.create(
                region=w.region,
                mentoring_form=f.form("teacher_teacher"),
                title="Шаблон",
                deficits="Д",
                goals="Ц",
            ),
            REGION,
        )
    ],
    ("monitoring.surveyround", monitoring_rights.SURVEY): [
        ("new round", lambda w: SurveyRound(region=w.region), REGION),
        ("round covering the municipality", lambda w: w.survey_round(), REGION),
    ],
    ("reports.report", report_rights.EDIT): [
        (
            "school's note",
            lambda w: w.report(Kind.SCHOOL_NOTE, municipality=w.municipality, organization=w.school),
            frozenset({CURATOR, COORDINATOR, OPERATOR, ADMIN}),
        ),
        (
            "municipality's report",
            lambda w: w.report(Kind.MONITORING_REPORT, municipality=w.municipality),
            RUNNERS,
        ),
        (
            "school's road map note (not a school note: not the curator's)",
            lambda w: w.report(Kind.ROADMAP_NOTE, municipality=w.municipality, organization=w.school),
            RUNNERS,
        ),
        ("region's report", lambda w: w.report(Kind.MONITORING_REPORT), REGION),
    ],
    ("reports.report", report_rights.PUBLISH): [
        (
            "school's note",
            lambda w: w.report(Kind.SCHOOL_NOTE, municipality=w.municipality, organization=w.school),
            RUNNERS,
        ),
        ("region's report", lambda w: w.report(Kind.MONITORING_REPORT), REGION),
    ],
}

PARAMS = [
    pytest.param(label, action, build, owners, id=f"{label}-{action}-{what}")
    for (label, action), cases in CASES.items()
    for what, build, owners in cases
]


def test_every_rule_has_its_cases():
    """A new row of the table comes with its cases here."""
    assert set(CASES) == set(access.WRITE_RULES)


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "action", "build", "owners"), PARAMS)
def test_own_territory_writes_strangers_do_not(label, action, build, owners):
    world = World()
    obj = build(world)
    assert obj._meta.label_lower == label
    allowed = {role for role, user in world.own.items() if access.can_write(user, obj, action)}
    assert allowed == owners
    strangers = {role for role, user in world.strangers.items() if access.can_write(user, obj, action)}
    assert strangers == set()

    # get_writable_or_404: out of scope 404 (as reading), in scope without the right 403 with the
    # rule's Russian text, the object for its writers.
    if obj.pk is None:
        return  # a new object: only ``can_write`` asks about it
    model = type(obj)
    for role, user in world.own.items():
        in_scope = access.scoped(user, model.objects.filter(pk=obj.pk)).exists()
        if role in owners:
            assert access.get_writable_or_404(user, model, action, pk=obj.pk) == obj
        elif in_scope:
            with pytest.raises(PermissionDenied) as refused:
                access.get_writable_or_404(user, model, action, pk=obj.pk)
            assert str(refused.value) == access.write_rule(obj, action).refusal
        else:
            with pytest.raises(access.ScopeDenied):
                access.get_writable_or_404(user, model, action, pk=obj.pk)
    for user in world.strangers.values():
        # a region-wide record (a contest, a course) is read by the whole region: 403, else 404
        in_scope = access.scoped(user, model.objects.filter(pk=obj.pk)).exists()
        with pytest.raises(PermissionDenied if in_scope else access.ScopeDenied):
            access.get_writable_or_404(user, model, action, pk=obj.pk)


# Rules a view asks of the model before there is an object (a form to fill, a file to upload): only
# the role counts then (the new object's territory comes from the user's scope or the form).
NEW_OBJECT_QUESTIONS = [
    pytest.param(PracticeBankEntry, access.SUBMIT, {CURATOR}, id="practice-submit"),
    pytest.param(ImportJob, access.IMPORT, {ADMIN}, id="workbook-import"),
    pytest.param(get_user_model(), access.ACCOUNTS, {ADMIN}, id="accounts"),
    pytest.param(Organization, access.WORKBOOK, {CURATOR, ADMIN}, id="workbook-export"),
    pytest.param(
        RoadMap, monitoring_rights.CREATE, {CURATOR, COORDINATOR, OPERATOR, ADMIN}, id="roadmap-create"
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "action", "roles"), NEW_OBJECT_QUESTIONS)
def test_a_new_objects_rule_asks_the_role(model, action, roles):
    world = World()
    users = {**world.own, None: f.make_user()}  # None: signed in without a scope
    allowed = {role for role, user in users.items() if access.can_write(user, model, action)}
    assert allowed == roles
    for role in users.keys() - roles:
        with pytest.raises(PermissionDenied) as refused:
            access.require_write(users[role], model, action)
        assert str(refused.value) == access.write_rule(model, action).refusal
    for role in roles:
        access.require_write(users[role], model, action)


def test_the_new_objects_rules_keep_the_views_refusals():
    """The texts the views answered before they asked the table."""
    assert (
        access.write_rule(PracticeBankEntry, access.SUBMIT).refusal
        == "Практику подаёт куратор своей организации."
    )
    assert (
        access.write_rule(ImportJob, access.IMPORT).refusal
        == "Импорт книги Excel доступен администратору портала."
    )
    assert access.write_rule(Organization, access.WORKBOOK).refusal == (
        "Выгрузка книги с персональными данными доступна куратору своей ОО и администратору."
    )
    assert access.write_rule(RoadMap, monitoring_rights.CREATE).refusal == (
        "Дорожные карты ведут куратор, координатор и региональный оператор."
    )


def test_territory_through_a_to_many_lookup_asks_the_database(db):
    """A regional campaign reaches a coordinator through its target municipalities (not an id)."""
    world = World()
    campaign = world.campaign()
    assert access.in_territory(world.own[COORDINATOR], campaign)
    assert not access.in_territory(world.strangers[COORDINATOR], campaign)
    assert access.in_territory(world.own[OPERATOR], campaign)
    assert not access.in_territory(world.strangers[OPERATOR], campaign)


def test_nobody_without_a_scope_writes(db):
    world = World()
    nobody = f.make_user()
    assert not access.can_write(nobody, world.school, access.CARD)
    assert not access.can_write(nobody, type(world.school), access.CARD)


def test_an_unknown_kind_is_refused_loudly(db):
    with pytest.raises(LookupError):
        access.can_write(f.make_user(role=ADMIN), f.make_region())


WRITE_VERBS = (
    "create",
    "edit",
    "delete",
    "end",
    "add",
    "archive",
    "destroy",
    "activate",
    "complete",
    "terminate",
    "review",
    "transition",
    "remind",
    "redraft",
    "publish",
)


def test_every_model_a_page_writes_has_a_rule():
    """The scope model of every page that changes something (PAGES) appears in the rules table."""
    ruled = {label for label, _ in access.WRITE_RULES}
    writing = {
        page.scope
        for name, page in PAGES.items()
        if page.scope and name.split(":")[-1].split("-")[-1] in WRITE_VERBS
    }
    assert writing, "no writing page found: the verbs above no longer match the URL names"
    assert writing - ruled == set()
