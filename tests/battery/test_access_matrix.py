"""RELIABILITY §4 A: access control seen from the outside, over every URL of the portal.

#7: every URL, found by walking the URL resolver (so a new URL is covered the day it is added),
sends an anonymous visitor to the login page; every page without an object in its address is
opened by each role and answers exactly as ``ROLE_MATRIX`` says (a new one fails until it has
a row). Pages with an object in the address are covered per module (tests/registry/test_*_views,
tests/monitoring, tests/reports: strangers get 404).
The anonymous walk also shows that no download (#46) is served without a session.
#3, #8: lists, search, paging, the admin's sorting and autocomplete give exactly ``scoped()``.
#11: a curator moved to another school, or deactivated, is judged anew on the next request.
#12: people and pairs are addressed by random UUIDs; walking ids gives a stranger only 404s.
"""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from registry import access
from registry.models import BaseMembership, Mentorship, Organization, Person
from tests import factories as f
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")

# Open without signing in; everything else sends an anonymous visitor to the login page.
PUBLIC = {"login", "registry:practice-public-list", "registry:practice-public-file"}

DUMMY = {"int": 1, "uuid": uuid.UUID(int=1), "string": "x", "path": "x", "slug": "x"}


def url_patterns(resolver=None, namespace=""):
    """(name, pattern) of every named URL but the Django admin's (tests/registry/test_admin.py)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from url_patterns(pattern, namespace + inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name, pattern


def dummy_url(name, pattern) -> str:
    converters = pattern.pattern.converters
    kwargs = {
        key: DUMMY[type(conv).__name__.removesuffix("Converter").lower()] for key, conv in converters.items()
    }
    if name.endswith("file") and "fmt" in kwargs:
        kwargs["fmt"] = "pdf"
    return reverse(name, kwargs=kwargs)


def test_every_url_sends_an_anonymous_visitor_to_login(client):
    checked = 0
    for name, pattern in url_patterns():
        if name in PUBLIC:
            continue
        url = dummy_url(name, pattern)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if name == "logout" and method == "get":
                assert response.status_code == 405  # logging out is POST only
                continue
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"].startswith(LOGIN), (name, method, response["Location"])
        checked += 1
    assert checked > 70  # the walk found the portal's URLs, not an empty list


# Pages without an object in the address: GET status for each role (nobody = signed in, no scope).
ROLES = ("curator", "coordinator", "operator", "admin", "nobody")
ROLE_MATRIX = {
    "dashboard": (200, 200, 200, 200, 200),
    "login": (302, 302, 302, 302, 302),  # a signed-in user is sent on to the portal
    "logout": (405, 405, 405, 405, 405),  # POST only
    # The second login step: only an admin whose session is not yet verified stays (test_security.py);
    # these users (the admin verified by client_for) are sent on.
    "second-factor": (302, 302, 302, 302, 302),
    "registry:organization-list": (200, 200, 200, 200, 200),
    "registry:mentor-list": (200, 200, 200, 200, 200),
    "registry:mentee-list": (200, 200, 200, 200, 200),
    "registry:person-create": (200, 403, 403, 200, 403),
    "registry:mentorship-list": (200, 200, 200, 200, 200),
    "registry:mentorship-create": (200, 403, 403, 200, 403),
    "registry:practice-list": (200, 200, 200, 200, 200),
    "registry:practice-create": (200, 403, 403, 403, 403),  # a school submits its own practice
    "registry:practice-public-list": (200, 200, 200, 200, 200),
    "registry:contest-list": (200, 200, 200, 200, 200),
    "registry:contest-create": (403, 403, 200, 200, 403),
    "registry:course-list": (200, 200, 200, 200, 200),
    "registry:course-create": (403, 403, 200, 200, 403),
    "registry:methodist-list": (200, 200, 200, 200, 200),
    "registry:methodist-create": (403, 403, 200, 200, 403),
    "registry:workbook": (200, 200, 200, 200, 200),
    "registry:workbook-template": (200, 200, 200, 200, 200),
    "registry:workbook-export": (200, 403, 403, 200, 403),
    "monitoring:roadmap-list": (200, 200, 200, 200, 200),
    "monitoring:roadmap-create": (200, 200, 200, 200, 403),
    "monitoring:campaign-list": (200, 200, 200, 200, 200),
    "monitoring:campaign-create": (403, 200, 200, 200, 403),
    "reports:list": (200, 200, 200, 200, 403),
}
QUERY = {"registry:person-create": "?base=mentors"}


def test_each_role_gets_exactly_the_pages_its_role_allows(
    client, client_for, curator, coordinator, operator, admin_user
):
    users = dict(
        curator=curator, coordinator=coordinator, operator=operator, admin=admin_user, nobody=f.make_user()
    )
    plain = {name for name, pattern in url_patterns() if not pattern.pattern.converters}
    assert plain == set(ROLE_MATRIX), "a page without an entry in ROLE_MATRIX (or an entry without a page)"
    seen = {}
    for name in sorted(plain):
        row = []
        for role in ROLES:
            client_for(users[role])  # the admin with its second factor given
            row.append(client.get(reverse(name) + QUERY.get(name, "")).status_code)
        seen[name] = tuple(row)
    assert seen == ROLE_MATRIX


# ---------------------------------------------------------------- #3 lists, search, paging, admin


@pytest.fixture
def crowd(school, neighbour_school, other_school):
    """55 mentors in ``school`` (two pages), 3 next door, 4 in the other municipality."""
    for i in range(55):
        make_member(organization=school, base="mentors", full_name=f"Своя Наставница {i:02d}")
    for i in range(3):
        make_member(organization=neighbour_school, base="mentors", full_name=f"Соседка Наставница {i}")
    for i in range(4):
        make_member(organization=other_school, base="mentors", full_name=f"Чужая Наставница {i}")


def _all_pages(client, url):
    first = client.get(url)
    names, page = [], first.context["page"]
    for number in page.paginator.page_range:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={number}")
        names += [row.person.full_name for row in response.context["page"]]
    return first.context["page"].paginator.count, names


def _scoped_mentors(user):
    rows = access.scoped(user, BaseMembership.objects.filter(base="mentors"))
    return sorted(rows.values_list("person__full_name", flat=True))


def test_list_pages_and_search_give_exactly_the_scope(client_for, crowd, curator, coordinator, other_curator):
    for user in (curator, coordinator, other_curator):
        client = client_for(user)
        count, names = _all_pages(client, reverse("registry:mentor-list"))
        assert count == len(names) == len(set(names))
        assert sorted(names) == _scoped_mentors(user)
    assert len(_scoped_mentors(curator)) == 55 and len(_scoped_mentors(coordinator)) == 58
    # Search for another school's people: nothing, and no count of them either.
    client = client_for(curator)
    response = client.get(reverse("registry:mentor-list") + "?q=Чужая")
    assert response.context["page"].paginator.count == 0
    assert "Чужая Наставница" not in response.content.decode()
    assert client.get(reverse("registry:mentor-list") + "?page=99").context["page"].number == 2


def test_pair_list_pages_give_exactly_the_scope(client_for, curator, coordinator, school, other_school):
    for _ in range(52):
        f.make_mentorship(organization=school)
    for _ in range(2):
        f.make_mentorship(organization=other_school)
    for user, expected in ((curator, 52), (coordinator, 52)):
        client = client_for(user)
        first = client.get(reverse("registry:mentorship-list"))
        seen = []
        for number in first.context["page"].paginator.page_range:
            page = client.get(reverse("registry:mentorship-list") + f"?page={number}").context["page"]
            seen += [pair.pk for pair in page]
        scoped = access.scoped(user, Mentorship.objects.all()).values_list("pk", flat=True)
        assert sorted(seen) == sorted(scoped)
        assert first.context["page"].paginator.count == len(seen) == expected


def _staff(user):
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))
    return user


def test_admin_sorting_search_paging_and_autocomplete_stay_in_scope(client_for, crowd, curator, school):
    client = client_for(_staff(curator))
    changelist = reverse("admin:registry_person_changelist")
    own = Person.objects.filter(organization=school).count()
    for query in ("", "?o=1", "?o=-1", "?o=3.-1", "?q=Наставница", "?q=Чужая", "?p=1", "?all="):
        cl = client.get(changelist + query).context["cl"]
        shown = {p.organization_id for p in cl.result_list}
        assert shown <= {school.pk}, query
        assert cl.full_result_count == own
        assert cl.result_count == (0 if "Чужая" in query else own), query
    # The autocomplete behind the person form's organization field: own school only.
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "registry", "model_name": "person", "field_name": "organization", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(item["id"]) for item in response.json()["results"]}
    assert ids == {school.pk} and Organization.objects.count() > 1


# ---------------------------------------------------------------- #12 ids


def test_people_and_pairs_are_addressed_by_random_uuids(school):
    first, second = f.make_person(organization=school), f.make_person(organization=school)
    pair = f.make_mentorship(organization=school)
    for obj in (first, second, pair):
        assert isinstance(obj.pk, uuid.UUID) and obj.pk.version == 4
    assert reverse("registry:person-detail", args=[first.pk]).endswith(f"/{first.pk}/")
    assert abs(first.pk.int - second.pk.int) > 2**64  # not a counter


def test_walking_ids_gives_a_stranger_only_404(client_for, other_curator, school):
    person = make_member(organization=school, base="mentors")
    pair = f.make_mentorship(organization=school)
    client = client_for(other_curator)
    urls = [
        reverse("registry:person-detail", args=[person.pk]),
        reverse("registry:mentorship-detail", args=[pair.pk]),
    ]
    # The neighbours of a real id, and guesses, are as unknown as the real one.
    for base in (person.pk.int, pair.pk.int):
        urls += [reverse("registry:person-detail", args=[uuid.UUID(int=base + d)]) for d in (-1, 1)]
        urls += [reverse("registry:mentorship-detail", args=[uuid.UUID(int=base + d)]) for d in (-1, 1)]
    # Integer ids (documents, practices, contests, courses, road maps, campaigns, reports): walk 1..30.
    for name in (
        "registry:document-file",
        "registry:practice-detail",
        "registry:practice-file",
        "registry:practice-public-file",
        "monitoring:submission-detail",
        "reports:detail",
    ):
        urls += [reverse(name, args=[pk]) for pk in range(1, 31)]
    statuses = {client.get(u).status_code for u in urls}
    assert statuses == {404}


# ---------------------------------------------------------------- #11 a live session follows the user


def test_a_curator_moved_to_another_school_gets_its_scope_on_the_next_request(
    client, curator, school, other_school
):
    mine = make_member(organization=school, base="mentors", full_name="Своя Наставница")
    theirs = make_member(organization=other_school, base="mentors", full_name="Наставница Другой Школы")
    client.force_login(curator)
    assert client.get(reverse("registry:person-detail", args=[mine.pk])).status_code == 200
    scope = curator.scope
    scope.organization = other_school
    scope.save()
    # The same session, no new login.
    assert client.get(reverse("registry:person-detail", args=[mine.pk])).status_code == 404
    assert client.get(reverse("registry:person-detail", args=[theirs.pk])).status_code == 200
    names = [row.person.full_name for row in client.get(reverse("registry:mentor-list")).context["page"]]
    assert names == ["Наставница Другой Школы"]


def test_a_deactivated_users_live_session_goes_to_login(client, curator, school):
    client.force_login(curator)
    assert client.get(reverse("registry:mentor-list")).status_code == 200
    curator.is_active = False
    curator.save()
    for name in ("dashboard", "registry:mentor-list", "registry:organization-list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), name
