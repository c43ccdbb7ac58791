"""docs/reliability.md §4 A: access control seen from the outside, over every URL of the portal.

#7: every URL, found by walking the URL resolver (so a new URL is covered the day it is added),
must have its row in ``registry.permissions.PAGES`` (the one table of who may do what,
docs/architecture.md §7); it sends an anonymous visitor to the login page unless it is public, and
is opened by each role: a page without an object answers 200 to the roles of its row and 403 to
the others; a page with an object (a stand-in id nobody's scope holds) answers 404 as a scoped
refusal of its model, or 403 where the role is checked first; every refusal and every audited
page writes the access-log entry the table names. Real objects of another school, municipality
and region are opened per module (tests/registry/test_*_views, tests/monitoring, tests/reports).
The anonymous walk also shows that no download (#46) is served without a session.
#3, #8: lists, search, paging, the admin's sorting and autocomplete give exactly ``scoped()``.
#11: a curator moved to another school, or deactivated, is judged anew on the next request.
#12: people and pairs are addressed by random UUIDs; walking ids gives a stranger only 404s.
"""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from mentoring_portal.models import AccessLogEntry
from registry import access
from registry.models import BaseMembership, Mentorship, Organization, Person
from registry.permissions import PAGES, ROLES
from tests import factories as f
from tests.portal_urls import dummy_url, url_patterns
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
DENIED = AccessLogEntry.Action.DENIED


def test_every_url_has_its_row_in_the_table_of_pages():
    """A new view fails here until ``registry.permissions.PAGES`` says who reaches it."""
    names = {name for name, _ in url_patterns()}
    assert len(names) > 70  # the walk found the portal's URLs, not an empty list
    assert names - set(PAGES) == set(), "a URL without a row in registry.permissions.PAGES"
    assert set(PAGES) - names == set(), "a row in registry.permissions.PAGES without a URL"


def test_every_url_sends_an_anonymous_visitor_to_login(client):
    checked = 0
    for name, pattern in url_patterns():
        if PAGES[name].public:
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
    assert checked > 70


QUERY = {"registry:person-create": "?base=mentors"}


def expected_status(page, role, with_object) -> int:
    if role in page.statuses:
        return page.statuses[role]
    if not with_object:
        return 200 if role in page.roles else 403
    if page.refuses_first(role):
        return 403
    return 404  # the stand-in id is in nobody's scope


def expected_entry(page, method, status):
    """(action, object type) the access log must hold after the request, or None."""
    audit = page.audit if page.audit and method.upper() in page.audit.methods else None
    if status == 403:
        return DENIED, audit.object_type if audit else ""
    if status == 404 and page.scope:
        return DENIED, page.scope
    if audit:  # written whatever the answer, a plain 404 too
        return audit.action, audit.object_type
    return None


def test_each_role_gets_exactly_what_the_table_of_pages_allows(
    client, client_for, curator, coordinator, operator, admin_user, mentor_account
):
    users = dict(
        curator=curator,
        coordinator=coordinator,
        operator=operator,
        admin=admin_user,
        mentor=mentor_account,
        nobody=f.make_user(),
    )
    seen, wanted = {}, {}
    for name, pattern in sorted(url_patterns(), key=lambda item: item[0]):
        page, with_object = PAGES[name], bool(pattern.pattern.converters)
        method = "post" if page.post_only and with_object else "get"
        url = dummy_url(name, pattern) + QUERY.get(name, "")
        for role in ROLES:
            client_for(users[role])  # the admin with its second factor given
            last = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            status = getattr(client, method)(url).status_code
            entries = AccessLogEntry.objects.filter(pk__gt=last).order_by("pk")
            seen[name, role] = (status, list(entries.values_list("action", "object_type")))
            want = expected_status(page, role, with_object)
            entry = expected_entry(page, method, want)
            wanted[name, role] = (want, [entry] if entry else [])
    assert {key: seen[key] for key in seen if seen[key] != wanted[key]} == {}
    assert {status for status, _ in seen.values()} >= {200, 302, 403, 404, 405}


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
