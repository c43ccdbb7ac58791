"""«Пользователи» in a real browser, on a 390 px phone: the demo's admin (password, then a backup code)
invites a coordinator, is refused a curator without a school, changes the new account's territory
and turns it off; every page passes axe-core's WCAG 2.1 A/AA rules and fits the width, and the
account's page shows each action in its history (docs/architecture.md §7, «Accounts»).
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from mentoring_portal.management.commands.seed_demo import DEMO_ADMIN_CODES
from registry.demo import PASSWORD
from registry.models import Municipality

from .test_portal import PHONE_390, log_in, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(serialized_rollback=True)]

EMAIL = "browser-invitee@example.org"


def check(axe: Axe, page: Page) -> None:
    found = violations(axe, page)
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner + 1:
        found.append(f"scrolls sideways: {scroll} > {inner}")
    assert found == [], f"{page.url}\n  " + "\n  ".join(found)
    expect(page.locator("h1")).to_have_count(1)


def test_admin_invites_moves_and_turns_off_a_user_on_a_phone(demo, new_page, shots):
    axe = Axe()
    page = new_page(viewport=PHONE_390)
    log_in(page, demo.url, "admin", PASSWORD)
    page.fill("input[name=otp_token]", DEMO_ADMIN_CODES[-1])
    page.get_by_role("button", name="Подтвердить").click()
    page.locator(".menu-button").click()  # on a phone the menu is folded under «Меню»
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Пользователи").click()
    expect(page.locator("h1")).to_have_text("Пользователи портала")
    check(axe, page)
    page.screenshot(path=shots / "users_list.png", full_page=True)

    page.get_by_role("link", name="Пригласить пользователя").click()
    check(axe, page)
    page.fill("#id_full_name", "Браузерова Вера Игоревна")
    page.fill("#id_email", EMAIL)
    page.select_option("#id_role", "curator")
    page.get_by_role("button", name="Отправить приглашение").click()
    expect(page.locator("#field-organization_code .error")).to_have_text(
        "Для роли «куратор ОО» укажите организацию (код ОО)."
    )
    check(axe, page)
    assert not get_user_model().objects.filter(username=EMAIL).exists()

    municipality = Municipality.objects.order_by("name").first()
    page.select_option("#id_role", "coordinator")
    page.select_option("#id_municipality", str(municipality.pk))
    page.get_by_role("button", name="Отправить приглашение").click()
    expect(page.locator("h1")).to_have_text("Браузерова Вера Игоревна")
    expect(page.locator("[data-state]")).to_have_text("приглашён, пароль не задан")
    check(axe, page)

    page.get_by_role("link", name="Изменить роль и территорию").click()
    check(axe, page)
    region = municipality.region
    page.select_option("#id_role", "operator")
    page.select_option("#id_region", str(region.pk))
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("[data-state]")).to_have_text("приглашён, пароль не задан")

    page.get_by_role("link", name="Отключить учётную запись…").click()
    check(axe, page)
    page.get_by_role("button", name="Отключить").click()
    expect(page.locator("[data-state]")).to_have_text("отключена")
    expect(page.locator("tr.event")).to_have_count(3)
    expect(page.locator("tr.event").first).to_contain_text("учётная запись отключена")
    expect(page.locator("tr.event").nth(1)).to_contain_text(f"региональный оператор, {region.name}")
    check(axe, page)
    page.screenshot(path=shots / "users_detail.png", full_page=True)
