"""Who may change monitoring's objects: its rows of the one table of write rules (docs/architecture.md §7).

``registry.access.can_write(user, obj, action)`` answers for every kind of object; monitoring adds
its kinds from ``MonitoringConfig.ready`` so that the registry never imports monitoring. Each rule
decides the territory from the object's ids (the object is already in the user's scope when a
view asks); admins pass every rule.
"""

from registry import access
from registry.access import Role, WriteRule

CREATE = "create"  # a new campaign or road map, unsaved: ``Campaign(region=…, municipality=…)``
MANAGE = "manage"  # edit, open, close, publish
REMIND = "remind"  # e-mail the curators who have not sent their submission
REVIEW = "review"  # accept or return a submission
FILL = "fill"  # fill in and send a submission
SIGN = "sign"  # the coordinator signs its municipality off (a regional campaign's second level)
APPROVE = "approve"  # the operator accepts or returns a signed municipality

SURVEY = "survey"  # create, open and close a survey round; keep the region's questionnaires

RUNNERS = frozenset({Role.COORDINATOR, Role.OPERATOR, Role.ADMIN})
MAP_OWNERS = frozenset({Role.CURATOR, Role.COORDINATOR, Role.OPERATOR, Role.ADMIN})


def _runs(scope, campaign) -> bool:
    """The operator runs the region's campaigns, a coordinator its municipality's."""
    if campaign.municipality_id is not None:
        return scope.role == Role.COORDINATOR and scope.municipality_id == campaign.municipality_id
    return scope.role == Role.OPERATOR and scope.region_id == campaign.region_id


def _reminds(scope, campaign) -> bool:
    """Whoever runs the campaign, or a coordinator who sees it (it reminds its own schools)."""
    if scope.role == Role.COORDINATOR:
        return access.scope_holds(scope, campaign)
    return _runs(scope, campaign)


def _reviews(scope, submission) -> bool:
    """The coordinator of the school's municipality, the region's operator."""
    if scope.role == Role.COORDINATOR:
        return scope.municipality_id == submission.municipality_id
    if scope.role == Role.OPERATOR:
        return scope.region_id == submission.campaign.region_id
    return False


def _signs(scope, approval) -> bool:
    """The coordinator of the municipality, in a regional campaign."""
    return scope.role == Role.COORDINATOR and scope.municipality_id == approval.municipality_id


def _approves(scope, approval) -> bool:
    """The operator of the campaign's region."""
    return scope.role == Role.OPERATOR and scope.region_id == approval.campaign.region_id


def _fills(scope, submission) -> bool:
    """The organization's own curator."""
    return scope.role == Role.CURATOR and scope.organization_id == submission.organization_id


def _owns_map(scope, roadmap) -> bool:
    """The owner's own level writes its map: the region's operator, the municipality's coordinator,
    the organization's curator."""
    Level = type(roadmap).Level
    if scope.role == Role.OPERATOR:
        return roadmap.level == Level.REGION and roadmap.region_id == scope.region_id
    if scope.role == Role.COORDINATOR:
        return roadmap.level == Level.MUNICIPALITY and roadmap.municipality_id == scope.municipality_id
    if scope.role == Role.CURATOR:
        return roadmap.level == Level.ORGANIZATION and roadmap.organization_id == scope.organization_id
    return False


def _runs_survey(scope, obj) -> bool:
    """The region's operator: a questionnaire or a survey round of its region."""
    return scope.role == Role.OPERATOR and scope.region_id == obj.region_id


RULES = (
    (
        "monitoring.campaign",
        CREATE,
        WriteRule(
            "the region's operator (regional), the municipality's coordinator (municipal), admin",
            RUNNERS,
            "Мониторинг проводит муниципальный координатор или региональный оператор.",
            territory=_runs,
        ),
    ),
    (
        "monitoring.campaign",
        MANAGE,
        WriteRule(
            "whoever could have created it, admin",
            RUNNERS,
            "Изменить мониторинг может только тот, кто его проводит.",
            territory=_runs,
        ),
    ),
    (
        "monitoring.campaign",
        REMIND,
        WriteRule(
            "whoever runs it, a coordinator who sees it (its own schools), admin",
            RUNNERS,
            "Напоминания рассылает координатор или тот, кто проводит мониторинг.",
            territory=_reminds,
        ),
    ),
    (
        "monitoring.submission",
        REVIEW,
        WriteRule(
            "the coordinator of the school's municipality, the region's operator, admin",
            RUNNERS,
            "Принять или вернуть отчёт может муниципальный координатор или региональный оператор.",
            territory=_reviews,
        ),
    ),
    (
        "monitoring.municipalityapproval",
        SIGN,
        WriteRule(
            "the coordinator of the municipality, admin",
            frozenset({Role.COORDINATOR, Role.ADMIN}),
            "Подписать муниципалитет может только его координатор.",
            territory=_signs,
        ),
    ),
    (
        "monitoring.municipalityapproval",
        APPROVE,
        WriteRule(
            "the operator of the campaign's region, admin",
            frozenset({Role.OPERATOR, Role.ADMIN}),
            "Принять или вернуть муниципалитет может только региональный оператор.",
            territory=_approves,
        ),
    ),
    (
        "monitoring.submission",
        FILL,
        WriteRule(
            "the organization's curator, admin",
            frozenset({Role.CURATOR, Role.ADMIN}),
            "Заполнить отчёт может только куратор ОО.",
            territory=_fills,
        ),
    ),
    (
        "monitoring.roadmap",
        CREATE,
        WriteRule(
            "every role, for its own level's map (the admin chooses the owner)",
            MAP_OWNERS,
            "Дорожные карты ведут куратор, координатор и региональный оператор.",
            territory=_owns_map,
        ),
    ),
    (
        "monitoring.roadmap",
        access.EDIT,
        WriteRule(
            "the owner's own level (operator, coordinator, curator), admin",
            MAP_OWNERS,
            "Эту дорожную карту вы можете только просматривать.",
            territory=_owns_map,
        ),
    ),
)


SURVEY_RULES = (
    (
        "monitoring.questionnaire",
        access.EDIT,
        WriteRule(
            "the region's operator, admin",
            frozenset({Role.OPERATOR, Role.ADMIN}),
            "Анкеты ведёт региональный оператор.",
            territory=_runs_survey,
        ),
    ),
    (
        "monitoring.surveyround",
        SURVEY,
        WriteRule(
            "the region's operator, admin",
            frozenset({Role.OPERATOR, Role.ADMIN}),
            "Опросы участников проводит региональный оператор.",
            territory=_runs_survey,
        ),
    ),
)


def register() -> None:
    for label, action, rule in RULES + SURVEY_RULES:
        access.register_write(label, action, rule)
