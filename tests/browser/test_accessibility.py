"""Every page a role opens on a 390 px phone passes axe-core's WCAG 2.1 A/AA rules and fits its width.

axe-core (Deque's engine, bundled in the pinned axe-playwright-python, never downloaded) runs in
Debian's chromium against the demo region; the pages are every GET page of the URL table without
an object in its address, plus the cards the demo's own rows open (docs/architecture.md §11).
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Page

from registry.demo import CURATOR_SCHOOL_CODE, PASSWORD
from tests.portal_urls import url_patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(serialized_rollback=True)]

PHONE_390 = {"width": 390, "height": 844}
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
NOT_PAGES = {"login", "logout", "second-factor", "registry:workbook-template"}  # forms of their own, files


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_load_state()


def plain_pages() -> list[str]:
    """URLs of the GET pages without an object in the address (files, such as ``export.xlsx``, aside)."""
    urls = (
        reverse(name)
        for name, pattern in url_patterns()
        if not pattern.pattern.converters and name not in NOT_PAGES
    )
    return sorted(url for url in urls if "." not in url.rsplit("/", 1)[-1])


def object_pages() -> list[str]:
    from registry.models import Mentorship, Organization, Person

    school = Organization.objects.get(code=CURATOR_SCHOOL_CODE)
    person = Person.objects.filter(organization=school).order_by("full_name").first()
    pair = Mentorship.objects.filter(organization=school).order_by("start_date").first()
    return [
        reverse("registry:organization-detail", args=[school.code]),
        reverse("registry:person-detail", args=[person.pk]),
        reverse("registry:mentorship-detail", args=[pair.pk]),
        reverse("registry:mentorship-edit", args=[pair.pk]),
    ]


def violations(axe: Axe, page: Page) -> list[str]:
    found = axe.run(page, options=WCAG).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in found
    ]


@pytest.mark.parametrize("username", ["curator", "coordinator", "operator"])
def test_every_page_passes_axe_on_a_phone(username, demo, new_page):
    axe = Axe()
    page = new_page(viewport=PHONE_390)
    failures = {}
    page.goto(demo.url + "/login/")
    failures["/login/"] = violations(axe, page)
    log_in(page, demo.url, username)
    urls = plain_pages() + (object_pages() if username == "curator" else [])
    for url in urls:
        response = page.goto(demo.url + url)
        if response.status != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        found = violations(axe, page)
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner + 1:
            found.append(f"scrolls sideways: {scroll} > {inner}")
        if found:
            failures[url] = found
    failures = {url: found for url, found in failures.items() if found}
    assert not failures, "\n".join(f"{url}\n  " + "\n  ".join(found) for url, found in failures.items())
