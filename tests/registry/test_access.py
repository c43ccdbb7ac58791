"""registry.access: the one place that scopes querysets."""

import pytest
from django.apps import apps
from django.http import Http404

from registry import access
from registry.models import Mentorship, NormativeDocument, Organization, Person
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_every_registry_model_has_a_scope_rule():
    """A new model fails here until access.SCOPE_PATHS says how it reaches the territory tree."""
    # UserScope, AccountEvent (the accounts' history) and ImportJob (workbook imports) are admins'
    # only; an ExportJob is its owner's only (tests/battery/test_export_jobs.py); history rows are
    # read through their object's admin.
    models = {
        m
        for m in apps.get_app_config("registry").get_models()
        if m.__name__ not in {"UserScope", "AccountEvent", "ImportJob", "ExportJob"}
        and not m.__name__.startswith("Historical")
    }
    missing = {m.__name__ for m in models if m not in access.SCOPE_PATHS}
    assert missing == set()


@pytest.fixture
def people(school, neighbour_school, other_school):
    return {
        "mine": f.make_person(organization=school, full_name="Свой"),
        "neighbour": f.make_person(organization=neighbour_school, full_name="Сосед"),
        "other": f.make_person(organization=other_school, full_name="Чужой"),
    }


def names(user):
    return set(access.scoped(user, Person.objects.all()).values_list("full_name", flat=True))


def test_curator_sees_own_school(curator, people):
    assert names(curator) == {"Свой"}


def test_coordinator_sees_own_municipality(coordinator, people):
    assert names(coordinator) == {"Свой", "Сосед"}


def test_operator_sees_own_region_only(operator, people):
    f.make_person(organization=f.make_organization(), full_name="Другой регион")
    assert names(operator) == {"Свой", "Сосед", "Чужой"}


def test_admin_sees_everything(admin_user, people):
    assert names(admin_user) == {"Свой", "Сосед", "Чужой"}


def test_user_without_scope_sees_nothing(people):
    assert names(f.make_user()) == set()


def test_inactive_user_sees_nothing(curator, people):
    curator.is_active = False
    curator.save()
    assert names(curator) == set()


def test_moving_a_curator_changes_the_scope_at_once(curator, people, other_school):
    curator.scope.organization = other_school
    curator.scope.save()
    curator.refresh_from_db()
    assert names(curator) == {"Чужой"}


def test_get_scoped_or_404(curator, people):
    assert access.get_scoped_or_404(curator, Person.objects.all(), pk=people["mine"].pk) == people["mine"]
    with pytest.raises(Http404):
        access.get_scoped_or_404(curator, Person.objects.all(), pk=people["other"].pk)
    with pytest.raises(Http404):
        access.get_scoped_or_404(curator, Person.objects.all(), pk="not-a-uuid")


def test_mentorships_and_organizations_are_scoped(
    curator, coordinator, school, neighbour_school, other_school
):
    f.make_mentorship(organization=school)
    f.make_mentorship(organization=other_school)
    assert set(access.scoped(curator, Mentorship.objects.all()).values_list("organization", flat=True)) == {
        school.pk
    }
    assert set(access.scoped(coordinator, Organization.objects.all())) == {school, neighbour_school}


def test_curator_reads_documents_of_its_school_and_above_but_not_of_other_schools(
    curator, school, neighbour_school, region, municipality
):
    def doc(title, **kw):
        return NormativeDocument.objects.create(
            region=region, title=title, date="2022-12-16", doc_type="order", **kw
        )

    doc("региональный", level="regional")
    doc("муниципальный", level="municipal", municipality=municipality)
    doc("свой", level="organization", organization=school, municipality=municipality)
    doc("соседский", level="organization", organization=neighbour_school, municipality=municipality)
    seen = set(access.scoped(curator, NormativeDocument.objects.all()).values_list("title", flat=True))
    assert seen == {"региональный", "муниципальный", "свой"}


def test_a_model_without_a_rule_is_refused(curator):
    from django.contrib.auth.models import Group

    with pytest.raises(LookupError):
        access.scoped(curator, Group.objects.all())
