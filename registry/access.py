"""The one place that turns (user, queryset) into what that user may see.

A user's scope is a ``UserScope`` row: a curator has one organization, a coordinator one
municipality, an operator one region, an admin everything. Every list, detail, form
choice, export, import and report goes through ``scoped``; objects outside it answer 404
so that other schools' records cannot even be detected.

Each scoped model says how it reaches the territory tree in ``SCOPE_PATHS``: the lookup
to its organization, its municipality and its region. A model missing from the table is
refused loudly rather than shown unscoped.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from . import models as m

Role = m.UserScope.Role


@dataclass(frozen=True)
class Paths:
    organization: str | None
    municipality: str | None
    region: str


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
    m.Mentorship: Paths("organization", "organization__municipality", "organization__municipality__region"),
    m.MentorshipLink: Paths(
        "organization", "organization__municipality", "organization__municipality__region"
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


# Pupils and students: above the school they appear as counts, never by name (DESIGN §2).
MINOR_CATEGORIES = (m.Category.STUDENT, m.Category.COLLEGE_STUDENT)


def sees_minor_names(user) -> bool:
    """Curators (of their own school, which their scope already enforces) and admins."""
    return role_of(user) in (Role.CURATOR, Role.ADMIN)


def scope_organizations(user) -> QuerySet:
    return scoped(user, m.Organization.objects.all())


def territory_label(user) -> str:
    scope = user_scope(user)
    if is_admin(user):
        return "все регионы"
    if scope is None:
        return "нет доступа"
    return str(scope.organization or scope.municipality or scope.region)
