"""The portal in a real browser, on the demo region (accounts admin/operator/coordinator/curator, «demo»).

The module's tests share one seeded demo region and its live server (``demo``,
tests/browser/conftest.py): they read it and sign in, and change nothing another test reads.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from registry import selectors
from registry.demo import CURATOR_SCHOOL_CODE, OKTYABRSKY_CODE, PASSWORD
from registry.models import Organization
from tests.portal_urls import url_patterns

from .conftest import PHONE

# serialized_rollback: the migrated state is kept, for ``demo_site`` to restore (tests/browser/conftest.py)
pytestmark = [pytest.mark.browser, pytest.mark.django_db(serialized_rollback=True)]

CURATOR_SCHOOL = "МБОУ «СОШ № 16» Октябрьского района"
FIGURES = ("mentors", "mentees", "mentorships")


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_load_state()


def figure(page: Page, name: str) -> int:
    text = page.locator(f'[data-figure="{name}"]').inner_text().strip()
    assert re.fullmatch(r"\d+", text), f"figure {name!r} is not a number: {text!r}"
    return int(text)


def horizontal_overflow(page: Page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def sticking_out(page: Page) -> list[str]:
    """The outermost elements whose right edge lies beyond the viewport, as ``tag.class``."""
    return page.evaluate(
        """() => {
            const out = e => e.getBoundingClientRect().right > window.innerWidth + 1;
            return [...document.querySelectorAll('body *')]
                .filter(e => out(e) && !out(e.parentElement))
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
        }"""
    )


def test_curator_logs_in_sees_the_school_opens_its_card_and_logs_out(demo, page, shots):
    base = demo.url
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Вход в реестр наставничества")).to_be_visible()

    page.fill("input[name=username]", "curator")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()

    expect(page).to_have_url(base + "/")
    expect(page.locator("h1")).to_have_text(CURATOR_SCHOOL)
    expect(page.locator(".muted").first).to_contain_text("Куратор ОО")
    school = Organization.objects.get(code=CURATOR_SCHOOL_CODE)
    totals = selectors.totals(scope=school, as_of=timezone.localdate())
    for name in FIGURES:
        shown = figure(page, name)
        assert shown > 0, f"{name}: {shown}"
        assert shown == getattr(totals, name), f"{name}: page {shown}, registry {getattr(totals, name)}"
    forms = page.locator("table#forms")
    expect(forms.get_by_role("cell", name="учитель – учитель", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    page.screenshot(path=str(shots / "curator-dashboard-desktop.png"), full_page=True)

    page.get_by_role("link", name="Карточка организации").click()
    expect(page).to_have_url(f"{base}/organizations/{CURATOR_SCHOOL_CODE}/")
    expect(page.locator("h1")).to_have_text(CURATOR_SCHOOL)
    code = page.locator("dl.card dt", has_text="Код ОО").locator("xpath=following-sibling::dd[1]")
    expect(code).to_have_text(CURATOR_SCHOOL_CODE)

    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(base + "/login/")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    expect(page.get_by_role("button", name="Выйти")).to_have_count(0)
    # logged out for real: the dashboard sends us back to the login page
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    assert page.failed_responses == []


def test_wrong_password_stays_on_the_login_page(demo, page):
    log_in(page, demo.url, "curator", "not-the-password")
    expect(page).to_have_url(demo.url + "/login/")
    expect(page.locator("p.error")).to_have_text("Неверное имя пользователя или пароль.")
    expect(page.locator("input[name=username]")).to_have_value("curator")
    expect(page.get_by_role("button", name="Выйти")).to_have_count(0)
    # and the session is still anonymous
    page.goto(demo.url + "/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))


def test_coordinator_sees_only_own_municipality_and_a_curator_gets_404_elsewhere(demo, new_page):
    base = demo.url
    page = new_page()
    log_in(page, base, "coordinator")
    expect(page).to_have_url(base + "/")
    expect(page.locator("h1")).to_have_text("Октябрьский район")
    expect(page.locator(".muted").first).to_contain_text("Муниципальный координатор")

    table = page.locator("table#rows")
    expect(table).to_be_visible()
    # each row drills down to the school's own dashboard (docs/architecture.md §12)
    hrefs = table.locator("tbody tr td:first-child a").evaluate_all("links => links.map(a => a.search)")
    codes = [re.fullmatch(r"\?organization=(\w+)", href).group(1) for href in hrefs]
    own = Organization.objects.filter(municipality__code=OKTYABRSKY_CODE)
    schools = list(
        own.filter(org_type=Organization.OrgType.SCHOOL).order_by("code").values_list("code", flat=True)
    )
    assert len(schools) == 26
    # the 26 schools (in natural order of their names); the municipality's methodical office runs no pairs
    assert sorted(codes) == schools
    assert table.locator("tbody tr").count() == len(codes)
    expect(table.locator("tbody tr", has_text="Город Приреченск")).to_have_count(0)
    assert "D0201" not in codes

    # a curator typing the address of a school of «Город Приреченск» gets a 404
    page = new_page()
    log_in(page, base, "curator")
    expect(page.locator("h1")).to_have_text(CURATOR_SCHOOL)
    own_card = page.goto(f"{base}/organizations/{CURATOR_SCHOOL_CODE}/")
    assert own_card.status == 200
    stranger = Organization.objects.get(code="D0201")
    assert stranger.municipality.name == "Город Приреченск"
    response = page.goto(base + "/organizations/D0201/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(stranger.full_name)


def test_phone_viewport_has_no_horizontal_scroll(demo, new_page, shots):
    page = new_page(viewport=PHONE)
    page.goto(demo.url + "/login/")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    # the stylesheet is served: the login card is narrowed and centred by portal.css
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderRadius") == "6px"
    scroll, inner = horizontal_overflow(page)
    assert inner == PHONE["width"]
    assert scroll <= inner + 1, f"login page scrolls sideways: {scroll} > {inner}"

    log_in(page, demo.url, "curator")
    expect(page.locator("h1")).to_have_text(CURATOR_SCHOOL)
    expect(page.locator("table#forms")).to_be_visible()
    page.screenshot(path=str(shots / "curator-dashboard-phone.png"), full_page=True)
    assert page.failed_responses == []
    scroll, inner = horizontal_overflow(page)
    assert scroll <= inner + 1, (
        f"curator dashboard scrolls sideways: {scroll} > {inner}: {sticking_out(page)}"
    )


# ---------------------------------------------------------------- accessibility, on the same demo
# Every page a role opens on a 390 px phone passes axe-core's WCAG 2.1 A/AA rules and the phone layout
# rules (docs/architecture.md, phone layout): axe-core (Deque's engine, bundled in the pinned
# axe-playwright-python, never downloaded) runs in Debian's chromium; the pages are every GET page of
# the URL table without an object in its address, plus the cards the demo's own rows open
# (docs/architecture.md §11).

PHONE_390 = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
NOT_PAGES = {  # forms of their own, files, POST-only actions of a list (GET answers 405)
    "login",
    "logout",
    "second-factor",
    "registry:workbook-template",
    "registry:mentorship-bulk",
    "registry:person-bulk-archive",
    "notification-read-all",
}
TOUCH = 44  # px: the least height of a touch target below 900 px

# One pass over a rendered page: what breaks the phone layout rules, as readable lines.
LAYOUT_PROBLEMS = """(touch) => {
    const problems = [];
    const root = document.documentElement;
    const vw = root.clientWidth;
    const classes = e => typeof e.className === 'string' && e.className.trim()
        ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + classes(e)
        + (e.textContent.trim() ? ` «${e.textContent.trim().slice(0, 30)}»` : '');
    const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    const out = e => { const r = e.getBoundingClientRect(); return r.right > vw + 1 || r.left < -1; };
    // a wide table may scroll inside a .table-wrap that fits the page and takes the keyboard's focus
    const scroller = e => {
        const wrap = e.parentElement && e.parentElement.closest('.table-wrap');
        return wrap && wrap.tabIndex >= 0 && !out(wrap)
            && ['auto', 'scroll'].includes(getComputedStyle(wrap).overflowX);
    };
    if (root.scrollWidth > vw + 1) problems.push(`scrolls sideways: ${root.scrollWidth} > ${vw}`);
    const wide = [...document.body.querySelectorAll('*')]
        .filter(e => shown(e) && out(e) && !scroller(e) && !out(e.parentElement));
    if (wide.length) problems.push('wider than the screen: ' + wide.slice(0, 3).map(name).join(', '));
    const h1 = document.querySelectorAll('h1').length;
    if (h1 !== 1) problems.push(`${h1} h1 headings`);
    const unlabelled = [...document.querySelectorAll('input, select, textarea')]
        .filter(e => !['hidden', 'submit', 'button', 'reset', 'image'].includes(e.type))
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                     && !e.getAttribute('aria-labelledby') && !e.title);
    if (unlabelled.length) {
        const names = unlabelled.slice(0, 3).map(e => e.name || name(e));
        problems.push('controls without a label: ' + names.join(', '));
    }
    const targets = [...document.querySelectorAll(
        '.menu-button, button, a.button, input[type=submit], .pages a, label:has(> input[type=checkbox])')]
        .filter(shown).filter(e => e.getBoundingClientRect().height < touch - 0.5);
    if (touch && targets.length) {
        problems.push(`touch targets under ${touch} px: ` + targets.slice(0, 3).map(name).join(', '));
    }
    const link = document.querySelector('main a[href]') || document.querySelector('a[href]');
    if (link) {
        link.focus();
        const style = getComputedStyle(link);
        const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
            || style.boxShadow !== 'none';
        if (!link.matches(':focus-visible') || !ring) {
            problems.push('a focused link shows no focus ring: ' + name(link));
        }
        link.blur();
    }
    return problems;
}"""


def layout_problems(page: Page, *, touch: int = TOUCH) -> list[str]:
    return page.evaluate(LAYOUT_PROBLEMS, touch)


def plain_pages() -> list[str]:
    """URLs of the GET pages without an object in the address (files, such as ``export.xlsx``, aside)."""
    urls = (
        reverse(name)
        for name, pattern in url_patterns()
        if not pattern.pattern.converters and name not in NOT_PAGES
    )
    return sorted(url for url in urls if "." not in url.rsplit("/", 1)[-1])


def object_pages() -> list[str]:
    from monitoring.models import RoadMap
    from registry.models import Mentorship, Organization, Person

    school = Organization.objects.get(code=CURATOR_SCHOOL_CODE)
    person = Person.objects.filter(organization=school).order_by("full_name").first()
    pair = Mentorship.objects.filter(organization=school).order_by("start_date").first()
    pages = [
        reverse("registry:organization-detail", args=[school.code]),
        reverse("registry:person-detail", args=[person.pk]),
        reverse("registry:mentorship-detail", args=[pair.pk]),
        reverse("registry:mentorship-edit", args=[pair.pk]),
    ]
    roadmap = RoadMap.objects.filter(organization=school).order_by("pk").first()
    if roadmap:  # the widest table of the portal: its events
        pages.append(reverse("monitoring:roadmap-detail", args=[roadmap.pk]))
    return pages


def violations(axe: Axe, page: Page) -> list[str]:
    found = axe.run(page, options=WCAG).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in found
    ]


def sign_in(page: Page, base_url: str, username: str) -> None:
    """``log_in``, and for the administrator the second step with one of the demo's one-time codes."""
    from mentoring_portal.management.commands.seed_demo import DEMO_ADMIN_CODES

    log_in(page, base_url, username)
    if "/login/code/" in page.url:
        page.fill("input[name=otp_token]", DEMO_ADMIN_CODES[0])
        page.get_by_role("button", name="Подтвердить").click()
        page.wait_for_load_state()
    expect(page.locator(".menu")).to_have_count(1)


# The mentor's and the administrator's walks are cheap: most pages refuse a mentor, and the
# administrator's only adds the region-wide figures; the object pages are walked once, as the curator.
@pytest.mark.parametrize("username", ["curator", "coordinator", "operator", "admin", "mentor"])
def test_every_page_passes_axe_and_fits_a_phone(username, demo, new_page):
    axe = Axe()
    page = new_page(viewport=PHONE_390)
    failures = {}
    page.goto(demo.url + "/login/")
    failures["/login/"] = violations(axe, page) + layout_problems(page)
    sign_in(page, demo.url, username)
    urls = plain_pages() + (object_pages() if username == "curator" else [])
    walked = 0
    for url in urls:
        response = page.goto(demo.url + url)
        if response.status != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        walked += 1
        failures[url] = violations(axe, page) + layout_problems(page)
    assert walked >= (1 if username == "mentor" else 10), f"{username} opened only {walked} pages"
    # the dashboard on a laptop: the menu's links are shown without the «Меню» button
    page.set_viewport_size(LAPTOP)
    page.goto(demo.url + "/")
    found = layout_problems(page, touch=0)
    if page.locator(".menu-button").is_visible() or not page.locator(".menu-links a").first.is_visible():
        found.append("at 1366 px the menu is folded")
    failures["/ at 1366 px"] = found
    failures = {url: found for url, found in failures.items() if found}
    assert not failures, "\n".join(f"{url}\n  " + "\n  ".join(found) for url, found in failures.items())


def test_the_phone_menu_opens_and_its_links_are_reached_by_keyboard(demo, new_page, shots):
    page = new_page(viewport=PHONE_390)
    log_in(page, demo.url, "coordinator")
    button = page.locator(".menu-button")
    links = page.locator(".menu-links a")
    expect(button).to_be_visible()
    expect(button).to_have_text("Меню")
    expect(links.first).to_be_hidden()  # folded: the thirteen links do not fill the screen
    header = page.locator("header.top").bounding_box()
    assert header["height"] < 140, f"the folded header is {header['height']} px high"

    # the keyboard reaches the button (after the brand) and opens the menu with Enter
    page.keyboard.press("Tab")
    expect(page.locator(".brand")).to_be_focused()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none", "the focused «Меню» button shows no outline"
    page.keyboard.press("Enter")
    expect(page.locator("details.menu-fold")).to_have_attribute("open", "")
    n = links.count()
    assert n >= 12, n
    page.screenshot(path=str(shots / "coordinator-menu-phone.png"), full_page=True)
    # every link, in order, by Tab: shown as a full-width row of a vertical list, at least 44 px high
    lefts = set()
    for i in range(n):
        page.keyboard.press("Tab")
        link = links.nth(i)
        expect(link).to_be_focused()
        box = link.bounding_box()
        assert box["height"] >= TOUCH, f"{link.inner_text()}: {box['height']} px high"
        assert box["width"] >= PHONE_390["width"] - 2, f"{link.inner_text()}: {box['width']} px wide"
        lefts.add(round(box["x"]))
    assert lefts == {0}, lefts
    # Enter on a focused link follows it
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == demo.url + focused
    # on the next page the menu is folded again, and Space opens it as well as Enter
    expect(links.first).to_be_hidden()
    button.focus()
    page.keyboard.press("Space")
    expect(links.first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
