"""Three actors for every view (healthchecks' Alice, Bob and Charlie):

- ``curator`` owns ``school`` (the owner),
- ``coordinator`` sees ``school``'s municipality (a wider scope),
- ``other_curator`` keeps ``other_school`` in another municipality (the stranger),
plus ``operator`` (the region) and ``admin_user``.

``client_for(user)`` signs a user in; an admin (who must give a second factor, docs/reliability.md #16)
also gets a TOTP device and a session verified by it, as after the «Код подтверждения» step.
"""

import pytest
from django.test.utils import override_settings

from tests import factories as f

# Hashing is not under test: Django's PBKDF2 (a million rounds) costs about 0.3 s for every user a
# factory creates and every password login, which made the suite minutes slower. Production keeps
# Django's default hashers (tests/test_settings.py holds that); the tests use a cheap one.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield


@pytest.fixture
def region(db):
    return f.make_region(name="Тестовая область")


@pytest.fixture
def municipality(region):
    return f.make_municipality(region=region, name="Октябрьский район")


@pytest.fixture
def other_municipality(region):
    return f.make_municipality(region=region, name="Соседний район")


@pytest.fixture
def school(municipality):
    return f.make_organization(municipality=municipality, short_name="СОШ № 1")


@pytest.fixture
def neighbour_school(municipality):
    return f.make_organization(municipality=municipality, short_name="СОШ № 2")


@pytest.fixture
def other_school(other_municipality):
    return f.make_organization(municipality=other_municipality, short_name="СОШ № 9")


@pytest.fixture
def curator(school):
    return f.make_user("curator1", role="curator", organization=school)


@pytest.fixture
def other_curator(other_school):
    return f.make_user("curator9", role="curator", organization=other_school)


@pytest.fixture
def coordinator(municipality):
    return f.make_user("coordinator1", role="coordinator", municipality=municipality)


@pytest.fixture
def other_coordinator(other_municipality):
    return f.make_user("coordinator9", role="coordinator", municipality=other_municipality)


@pytest.fixture
def operator(region):
    return f.make_user("operator1", role="operator", region=region)


@pytest.fixture
def mentor_account(school):
    """A teacher of ``school`` with its own account (role «наставник»); its pairs are made by the test."""
    person = f.make_person(organization=school, full_name="Наставник Своих Пар", email="mentor@example.org")
    return f.make_user("mentor1", role="mentor", person=person)


@pytest.fixture
def admin_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="pass")


def verify_second_factor(client, user):
    """Marks ``client``'s session as verified by ``user``'s TOTP device (created if missing)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="тестовое устройство", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def client_for(client):
    from mentoring_portal.security import requires_second_factor

    def login(user):
        client.force_login(user)
        if requires_second_factor(user):
            verify_second_factor(client, user)
        return client

    return login
