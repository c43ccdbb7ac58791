"""The header search on a 390 px phone, on the demo region (docs/architecture.md §4.1): the box in the
header, the results page with every kind of group, axe-core's WCAG 2.1 A/AA rules, no sideways scroll."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .test_portal import PHONE_390, log_in, violations

# serialized_rollback: the migrated state is kept, for ``demo_site`` to restore (tests/browser/conftest.py)
pytestmark = [pytest.mark.browser, pytest.mark.django_db(serialized_rollback=True)]


def test_the_header_search_finds_folded_names_and_passes_axe_on_a_phone(demo, new_page):
    page = new_page(viewport=PHONE_390)
    log_in(page, demo.url, "curator")
    box = page.get_by_role("searchbox", name="Поиск: ФИО, пара, организация, документ")
    # A name typed with «е» in capitals finds the demo's people with «е» or «ё» alike.
    box.fill("ОВА")
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("h1")).to_have_text("Поиск: «ОВА»")
    expect(page.get_by_role("heading", name="Участники")).to_be_visible()
    assert page.locator(".search-hits li").count() >= 2
    found = violations(Axe(), page)
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner + 1, f"the search page scrolls sideways: {scroll} > {inner}"
    assert found == []
    box = page.get_by_role("searchbox", name="Поиск: ФИО, пара, организация, документ")
    box.fill("о")
    page.get_by_role("button", name="Найти").click()
    expect(page.get_by_role("alert")).to_contain_text("не меньше 2 символов")
