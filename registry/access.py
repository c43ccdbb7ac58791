"""The one place that turns (user, queryset) into what that user may see.

A user's scope is a ``UserScope`` row: a curator has one organization, a coordinator one
municipality, an operator one region, an admin everything. Every list, detail, form
choice, export, import and report goes through ``scoped``; objects outside it answer 404
so that other schools' records cannot even be detected.

Each scoped model says how it reaches the territory tree in ``SCOPE_PATHS``: the lookup
to its organization, its municipality and its region. A model missing from the table is
refused loudly rather than shown unscoped.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from . import models as m

Role = m.UserScope.Role


@dataclass(frozen=True)
class Paths:
    organization: str | None
    municipality: str | None
    region: str
    # the lookup to the pair's mentor Person, for a mentor's own account; None: the mentor sees nothing
    mentor: str | None = None


# lookup from the model to its Organization, Municipality and Region ("" = the model itself)
SCOPE_PATHS: dict[type[Model], Paths] = {
    m.Region: Paths(None, None, ""),
    m.Municipality: Paths(None, "", "region"),
    m.Organization: Paths("", "municipality", "municipality__region"),
    m.OrganizationStatus: Paths(
        "organization", "organization__municipality", "organization__municipality__region"
    ),
    m.Headcount: Paths("organization", "organization__municipality", "organization__municipality__region"),
    m.Person: Paths("organization", "organization__municipality", "organization__municipality__region"),
    m.BaseMembership: Paths(
        "organization", "organization__municipality", "organization__municipality__region"
    ),
    m.Mentorship: Paths(
        "organization", "organization__municipality", "organization__municipality__region", "mentor_person"
    ),
    m.MentorshipLink: Paths(
        "organization", "organization__municipality", "organization__municipality__region", "mentor_person"
    ),
    m.MentoringPlan: Paths(
        "mentorship__organization",
        "mentorship__organization__municipality",
        "mentorship__organization__municipality__region",
        "mentorship__mentor_person",
    ),
    m.PlanTemplate: Paths(None, None, "region"),
    m.PlanTemplateItem: Paths(None, None, "template__region"),
    m.PlanItem: Paths(
        "plan__mentorship__organization",
        "plan__mentorship__organization__municipality",
        "plan__mentorship__organization__municipality__region",
        "plan__mentorship__mentor_person",
    ),
    m.Meeting: Paths(
        "mentorship__organization",
        "mentorship__organization__municipality",
        "mentorship__organization__municipality__region",
        "mentorship__mentor_person",
    ),
    m.NormativeDocument: Paths("organization", "municipality", "region"),
    m.TrainingCourse: Paths(None, None, "region"),
    m.TrainingCompletion: Paths(
        "person__organization", "person__organization__municipality", "course__region"
    ),
    m.Contest: Paths(None, None, "region"),
    m.ContestEntry: Paths("organization", "organization__municipality", "organization__municipality__region"),
    m.PracticeBankEntry: Paths("organization", "organization__municipality", "region"),
    m.MethodistRegistryEntry: Paths("person__organization", "person__organization__municipality", "region"),
    m.PersonalDataDestruction: Paths(
        "organization", "organization__municipality", "organization__municipality__region"
    ),
    m.MentoringForm: None,  # vocabulary: everybody reads it
}


def register(model: type[Model], paths: Paths | None) -> None:
    """Other apps (monitoring, reports) declare their models' paths here."""
    SCOPE_PATHS[model] = paths


def user_scope(user) -> m.UserScope | None:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.scope
    except m.UserScope.DoesNotExist:
        return None


def is_admin(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    scope = user_scope(user)
    return scope is not None and scope.role == Role.ADMIN


def role_of(user) -> str | None:
    if is_admin(user):
        return Role.ADMIN
    scope = user_scope(user)
    return scope.role if scope else None


def _lookup(path: str, suffix: str = "pk") -> str:
    return f"{path}__{suffix}" if path else suffix


def scope_q(user, model: type[Model]) -> Q | None:
    """The filter for ``model`` under ``user``'s scope; None means everything, Q(pk__in=[]) nothing."""
    if model not in SCOPE_PATHS:
        raise LookupError(f"{model.__name__} has no entry in registry.access.SCOPE_PATHS")
    paths = SCOPE_PATHS[model]
    if is_admin(user) or paths is None:
        return None
    scope = user_scope(user)
    nothing = Q(pk__in=[])
    if scope is None:
        return nothing
    if scope.role == Role.MENTOR:
        return _mentor_q(scope, model, paths)
    if scope.role == Role.OPERATOR:
        return Q(**{_lookup(paths.region): scope.region_id})
    if scope.role == Role.COORDINATOR:
        if paths.municipality is None:
            # Region-wide records (courses, contests) are read by the region's coordinators.
            return Q(**{_lookup(paths.region): scope.municipality.region_id})
        return Q(**{_lookup(paths.municipality): scope.municipality_id})
    if scope.role == Role.CURATOR:
        organization = scope.organization
        if model is m.Municipality:
            return Q(pk=organization.municipality_id)
        if model is m.Region:
            return Q(pk=organization.municipality.region_id)
        if model is m.NormativeDocument:
            # A school reads its own documents and the ones above it, never another school's.
            return (
                Q(organization=organization.pk)
                | Q(organization__isnull=True, municipality=organization.municipality_id)
                | Q(
                    organization__isnull=True,
                    municipality__isnull=True,
                    region=organization.municipality.region_id,
                )
            )
        if paths.organization is None:
            return Q(**{_lookup(paths.region): organization.municipality.region_id})
        return Q(**{_lookup(paths.organization): organization.pk})
    return nothing


def _mentor_q(scope: m.UserScope, model: type[Model], paths: Paths) -> Q:
    """A mentor's own account: its own pairs and what hangs on them, nothing of the territory.

    The Person table holds the mentor and the mentees of its pairs (names only: the pages hide their
    personal data, ``sees_personal_data``); the Organization table its own school. Every model
    without a ``mentor`` path (monitoring, reports, registries of the region) gives nothing.
    """
    person = scope.person_id
    if model is m.Person:
        mentees = m.MentorshipLink.objects.filter(mentor_person=person, mentee_person__isnull=False)
        return Q(pk=person) | Q(pk__in=mentees.values("mentee_person"))
    if model is m.Organization:
        return Q(pk__in=m.Person.objects.filter(pk=person).values("organization"))
    if paths.mentor is None:
        return Q(pk__in=[])
    return Q(**{paths.mentor: person})


def scoped(user, queryset: QuerySet) -> QuerySet:
    q = scope_q(user, queryset.model)
    return queryset if q is None else queryset.filter(q)


class ScopeDenied(Http404):
    """A 404 from the scope check: answered like any 404, logged as refused access.

    ``mentoring_portal.audit`` records it as ``authz_denied`` with the model and the requested
    id; the page says nothing more than a plain 404 (the object may be out of scope or absent).
    """

    def __init__(self, model: type[Model]):
        super().__init__("Объект не найден")
        self.model = model


def get_scoped_or_404(user, queryset: QuerySet, **lookup):
    try:
        return scoped(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, ValidationError) as exc:
        # A malformed id (not a UUID) is as unknown as a missing one.
        raise ScopeDenied(queryset.model) from exc


# Pupils and students: above the school they appear as counts, never by name (docs/architecture.md §7).
MINOR_CATEGORIES = (m.Category.STUDENT, m.Category.COLLEGE_STUDENT)


def sees_minor_names(user) -> bool:
    """Curators (of their own school, which their scope already enforces), admins, and a mentor its
    own mentees (the only pupils its scope holds)."""
    return role_of(user) in (Role.CURATOR, Role.ADMIN, Role.MENTOR)


def sees_personal_data(user) -> bool:
    """Birth dates, contacts, consent givers: curators (own school) and admins; never a mentor."""
    return role_of(user) in (Role.CURATOR, Role.ADMIN)


def is_mentor(user) -> bool:
    return role_of(user) == Role.MENTOR


def scope_organizations(user) -> QuerySet:
    return scoped(user, m.Organization.objects.all())


def territory_label(user) -> str:
    scope = user_scope(user)
    if is_admin(user):
        return "все регионы"
    if scope is None:
        return "нет доступа"
    if scope.role == Role.MENTOR:
        return f"наставник: {scope.person.full_name}"
    return str(scope.organization or scope.municipality or scope.region)


# ---------------------------------------------------------------- writing
#
# Reading is ``scoped``; writing is ``can_write``: one question, "may this user change this
# object", answered by one table of rules, one row per object kind and action (docs/architecture.md
# §7). The registry's rows are below; monitoring and reports add theirs from their AppConfig.ready
# with ``register_write``, so that the registry never imports them.

EDIT = "edit"


@dataclass(frozen=True)
class WriteRule:
    """Who may change an object of one kind: a role in ``roles``, on an object of its own territory.

    ``territory`` decides the territory from the object's ids (no query when the view fetched the
    object with its path selected); without it the object must lie in the user's scope as
    ``SCOPE_PATHS`` draws it. Given a model class instead of an object (creating a new one), only the
    role is asked: the new object's territory comes from the user's scope or the form's scoped
    choices. ``refusal`` is the 403 text a view answers.
    """

    rule: str  # who may, in words
    roles: frozenset
    refusal: str = "Ваша роль позволяет только просматривать эти сведения."
    territory: Callable[[m.UserScope, Model], bool] | None = None


# (model label, action) -> rule
WRITE_RULES: dict[tuple[str, str], WriteRule] = {}


def register_write(label: str, action: str, rule: WriteRule) -> None:
    """Other apps (monitoring, reports) declare their kinds' write rules here."""
    WRITE_RULES[(label, action)] = rule


def write_rule(obj_or_model, action: str = EDIT) -> WriteRule:
    label = obj_or_model._meta.label_lower
    try:
        return WRITE_RULES[(label, action)]
    except KeyError:
        raise LookupError(
            f"{label} has no write rule for «{action}» in registry.access.WRITE_RULES"
        ) from None


class _ManyValued(Exception):
    """The lookup crosses a to-many relation: the object's ids cannot answer, the database must."""


def _follow(obj, path: str):
    """The id at the end of a ``SCOPE_PATHS`` lookup, read from the object (``""`` = its own pk)."""
    if not path:
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        _to_one(obj, hop)
        obj = getattr(obj, hop)
        if obj is None:
            return None
    return getattr(obj, _to_one(obj, last).attname)


def _to_one(obj, name: str):
    field = obj._meta.get_field(name)
    if field.many_to_many or field.one_to_many:
        raise _ManyValued
    return field


def in_territory(user, obj) -> bool:
    """Whether ``obj`` lies in ``user``'s own territory, decided from its ids as ``scope_q`` does."""
    return is_admin(user) or scope_holds(user_scope(user), obj)


def scope_holds(scope: m.UserScope | None, obj) -> bool:
    """``in_territory`` for a scope row (no admin shortcut): the rules' territory callables use it."""
    if scope is None:
        return False
    model = type(obj) if type(obj) in SCOPE_PATHS else type(obj)._meta.concrete_model
    paths = SCOPE_PATHS[model]
    if paths is None:
        return True
    try:
        return _scope_holds_by_ids(scope, obj, paths)
    except _ManyValued:  # e.g. a campaign reaches its coordinators through its target municipalities
        return obj.pk is not None and scoped(scope.user, model._default_manager.filter(pk=obj.pk)).exists()


def _scope_holds_by_ids(scope: m.UserScope, obj, paths: Paths) -> bool:
    if scope.role == Role.MENTOR:
        if type(obj) in (m.Person, m.Organization):
            raise _ManyValued  # through the mentor's pairs: the database answers
        return paths.mentor is not None and _follow(obj, paths.mentor) == scope.person_id
    if scope.role == Role.OPERATOR:
        return _follow(obj, paths.region) == scope.region_id
    if scope.role == Role.COORDINATOR:
        if paths.municipality is None:
            return _follow(obj, paths.region) == scope.municipality.region_id
        return _follow(obj, paths.municipality) == scope.municipality_id
    if scope.role == Role.CURATOR:
        if paths.organization is None:
            return _follow(obj, paths.region) == scope.organization.municipality.region_id
        return _follow(obj, paths.organization) == scope.organization_id
    return False


def can_write(user, obj_or_model, action: str = EDIT) -> bool:
    """May ``user`` change ``obj`` (or create one of this model) by ``action``? See ``WRITE_RULES``."""
    rule = write_rule(obj_or_model, action)
    role = role_of(user)
    if role not in rule.roles:
        return False
    if isinstance(obj_or_model, type):
        return True
    if role == Role.ADMIN:
        return True
    if rule.territory is not None:
        return rule.territory(user_scope(user), obj_or_model)
    return in_territory(user, obj_or_model)


def require_write(user, obj_or_model, action: str = EDIT) -> None:
    """PermissionDenied (403) with the rule's Russian text unless ``can_write``."""
    if not can_write(user, obj_or_model, action):
        raise PermissionDenied(write_rule(obj_or_model, action).refusal)


def get_writable_or_404(user, queryset_or_model, action: str = EDIT, **lookup):
    """The object to change: 404 outside the user's scope first (as reading), then 403 by the rule."""
    queryset = (
        queryset_or_model._default_manager.all() if isinstance(queryset_or_model, type) else queryset_or_model
    )
    obj = get_scoped_or_404(user, queryset, **lookup)
    require_write(user, obj, action)
    return obj


_SCHOOL = frozenset({Role.CURATOR, Role.ADMIN})
# The pair's own mentor writes its plan, tasks and meetings: the territory test is the scope's own
# («own pair»: the object's ``mentor`` path leads to the account's person, ``scope_holds``).
_PAIR_WORK = frozenset({Role.CURATOR, Role.ADMIN, Role.MENTOR})
_REGION = frozenset({Role.OPERATOR, Role.ADMIN})

CARD = "card"
STATUS = "status"
DOCUMENTS = "documents"
PERSONAL_DATA = "personal_data"
REVIEW = "review"
SUBMIT = "submit"  # a practice sent to the bank by its school
WORKBOOK = "workbook"  # the organization's pages of the regional workbook, with personal data
IMPORT = "import"  # a workbook uploaded into the registry
INVITE = "invite"  # a mentor invited into the portal (its own account, registry.accounts)
ACCOUNTS = "accounts"  # the portal's accounts: invite, role and territory, on/off, second factor

_REGIONAL = WriteRule(
    "its region's operator, admin", _REGION, "Это действие доступно региональному оператору."
)

for _label, _action, _rule in (
    (
        "registry.organization",
        CARD,
        WriteRule(
            "its curator, admin (card, headcount, documents)",
            _SCHOOL,
            "Вашей роли доступен только просмотр карточки организации.",
        ),
    ),
    (
        "registry.organization",
        WORKBOOK,
        WriteRule(
            "its curator, admin (the workbook export: people and pairs with personal data)",
            _SCHOOL,
            "Выгрузка книги с персональными данными доступна куратору своей ОО и администратору.",
        ),
    ),
    (
        "registry.organization",
        STATUS,
        WriteRule(
            "its region's operator, admin",
            _REGION,
            "Статусы организаций присваивает и завершает региональный оператор.",
        ),
    ),
    (
        "registry.normativedocument",
        EDIT,
        WriteRule(
            "the curator of the document's school, admin (only a school's own documents)",
            _SCHOOL,
            "Вашей роли доступен только просмотр карточки организации.",
            territory=lambda scope, doc: (
                doc.organization_id is not None and doc.organization_id == scope.organization_id
            ),
        ),
    ),
    (
        "registry.person",
        EDIT,
        WriteRule(
            "its school's curator, admin (card, bases, archive)",
            _SCHOOL,
            "Изменять базы может куратор ОО.",
        ),
    ),
    (
        "registry.person",
        PERSONAL_DATA,
        WriteRule(
            "its school's curator, admin (export everything, destroy)",
            _SCHOOL,
            "Персональные данные участника доступны куратору его организации.",
        ),
    ),
    (
        "registry.person",
        INVITE,
        WriteRule(
            "its school's curator only (an adult mentor gets its own account)",
            frozenset({Role.CURATOR}),
            "Пригласить наставника в портал может куратор его организации.",
        ),
    ),
    (
        "registry.mentorship",
        EDIT,
        WriteRule(
            "its school's curator, admin",
            _SCHOOL,
            "Ваша роль позволяет только просматривать наставнические пары.",
        ),
    ),
    (
        "registry.mentorship",
        STATUS,
        WriteRule(
            "its school's curator, admin (activate, complete, terminate)",
            _SCHOOL,
            "Ваша роль позволяет только просматривать наставнические пары.",
        ),
    ),
    (
        "registry.mentoringplan",
        EDIT,
        WriteRule(
            "the pair's school curator, its own mentor, admin (the plan and its tasks)",
            _PAIR_WORK,
            "Ваша роль позволяет только просматривать план наставничества.",
        ),
    ),
    (
        "registry.planitem",
        EDIT,
        WriteRule(
            "the pair's school curator, its own mentor, admin",
            _PAIR_WORK,
            "Ваша роль позволяет только просматривать план наставничества.",
        ),
    ),
    (
        "registry.meeting",
        EDIT,
        WriteRule(
            "the pair's school curator, its own mentor, admin (record and change a meeting)",
            _PAIR_WORK,
            "Ваша роль позволяет только просматривать встречи пары.",
        ),
    ),
    ("registry.trainingcourse", EDIT, _REGIONAL),
    ("registry.trainingcompletion", EDIT, _REGIONAL),
    (
        "registry.plantemplate",
        EDIT,
        WriteRule(
            "its region's operator, admin (the template and its tasks)",
            _REGION,
            "Шаблоны планов ведёт региональный оператор.",
        ),
    ),
    ("registry.contest", EDIT, _REGIONAL),
    ("registry.contestentry", EDIT, _REGIONAL),
    (
        "registry.practicebankentry",
        SUBMIT,
        WriteRule(
            "its school's curator only (an admin has no school to submit for)",
            frozenset({Role.CURATOR}),
            "Практику подаёт куратор своей организации.",
        ),
    ),
    (
        "registry.practicebankentry",
        REVIEW,
        _REGIONAL,
    ),
    (
        "registry.methodistregistryentry",
        EDIT,
        _REGIONAL,
    ),
    (
        "registry.importjob",
        IMPORT,
        WriteRule(
            "admin (with a second factor): a workbook may touch every school",
            frozenset({Role.ADMIN}),
            "Импорт книги Excel доступен администратору портала.",
        ),
    ),
    (
        "auth.user",
        ACCOUNTS,
        WriteRule(
            "admin only: accounts, roles and territories of every region (registry.users)",
            frozenset({Role.ADMIN}),
            "Учётными записями и ролями пользователей управляет администратор портала.",
        ),
    ),
):
    register_write(_label, _action, _rule)
