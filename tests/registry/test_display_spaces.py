"""Names and figures from data shown with non-breaking spaces (issue 19 §6): «СОШ № 5» typed with an
ordinary space is shown «СОШ №&nbsp;5» on the lists, the card and the dashboard; a teacher's length of
service is «стаж 12 лет» with its unit and plural."""

import pytest
from django.urls import reverse

from registry.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_5(municipality):
    return f.make_organization(
        municipality=municipality, short_name="СОШ № 5", full_name="МБОУ «Средняя школа № 5»"
    )


def test_the_dashboard_and_the_people_show_the_school_number_unbroken(client, school_5):
    client.force_login(f.make_user(role="curator", organization=school_5))
    body = client.get("/").content.decode()
    assert "МБОУ «Средняя школа №\xa05»" in body and "школа № 5" not in body
    client.force_login(f.make_user(role="coordinator", municipality=school_5.municipality))
    body = client.get(reverse("registry:organization-list")).content.decode()
    assert "МБОУ «Средняя школа №\xa05»" in body and "№ 5" not in body


@pytest.mark.parametrize("n, shown", [(1, "1\xa0год"), (3, "3\xa0года"), (12, "12\xa0лет")])
def test_the_person_card_shows_the_length_of_service_with_its_unit(client, school_5, n, shown):
    client.force_login(f.make_user(role="curator", organization=school_5))
    person = f.make_person(organization=school_5, category=Category.TEACHER, teaching_experience=n)
    body = client.get(reverse("registry:person-detail", args=[person.pk])).content.decode()
    assert f"<dd>{shown} " in body
