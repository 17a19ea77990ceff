"""Issue 15 in a browser: the phone's menu and the report's child search without JavaScript,
the unread badge on the phone's bar, the laptop menu on one line from 1024 px, whole table
headers, and tap targets of at least 44 x 44 px on a phone (WCAG 2.5.5)."""

from __future__ import annotations

import pytest

from notifications.models import Notification, NotificationKind
from tests.e2e.test_child_registration import sign_in
from tests.factories import JINGGUAN, ZHIDA, make_child

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TAP = 44


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


def _laptop(browser, width):
    return browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")


def test_without_javascript_the_phone_menu_opens_and_signs_out(
    live_server, people, phone_without_js, artifacts
):
    page = phone_without_js
    sign_in(page, live_server.url, "director")
    assert page.is_visible(".navbar-toggler")
    assert not page.is_visible("#mainnav")  # folded, and Bootstrap cannot unfold it
    page.click(".navbar-toggler")
    page.wait_for_url("**/menu/")
    menu = page.locator("[data-testid=menu-page]")
    assert menu.get_by_text("我的工作").is_visible()
    assert menu.locator("a[href='/children/']").is_visible()
    page.screenshot(path=str(artifacts / "menu-without-js-375.png"), full_page=True)
    with page.expect_navigation(url="**/accounts/login/**"):
        menu.locator("form[data-field-signout] button[type=submit]").click()


def test_without_javascript_the_report_form_finds_the_child(live_server, people, phone_without_js):
    child = make_child(people["director"], ZHIDA, name="陈小雨")
    page = phone_without_js
    sign_in(page, live_server.url, "director")
    page.goto(f"{live_server.url}/reports/new/")
    page.fill("#child-search-q", "陈")
    page.click("[data-testid=child-search-nojs] button[type=submit]")
    page.click(f"[data-testid=child-search-results] a[href='?child={child.pk}']")
    assert f"child={child.pk}" in page.url
    assert "陈小雨" in page.inner_text("h1")
    assert page.locator("input[type=hidden][name=child]").get_attribute("value") == str(child.pk)


def test_the_unread_badge_shows_on_the_phones_bar(live_server, people, phone):
    Notification.objects.create(
        recipient=people["director"], kind=NotificationKind.OTHER, title="整改事项"
    )
    sign_in(phone, live_server.url, "director")
    phone.wait_for_load_state("load")  # Bootstrap's stylesheet folds the menu
    assert not phone.is_visible("#mainnav")
    badge = phone.locator("[data-testid=unread-badge]")
    assert badge.is_visible() and badge.inner_text() == "1"
    box = phone.locator("[data-testid=inbox-link]").bounding_box()
    assert box["height"] >= TAP and box["width"] >= TAP
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.parametrize("width", [1024, 1366])
@pytest.mark.parametrize("who", ["civil", "supervisor"])
def test_the_laptop_menu_is_one_line(live_server, people, browser, artifacts, width, who):
    context = _laptop(browser, width)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, who)
        page.wait_for_load_state("load")  # measured with the stylesheets applied
        items = page.locator("#mainnav .cc-nav > .nav-item")
        tops = {round(items.nth(i).bounding_box()["y"]) for i in range(items.count())}
        assert len(tops) == 1, tops  # every item on the same row
        nav = page.locator("#mainnav").bounding_box()
        assert nav["height"] < 2 * TAP, nav  # one row high, no wrapped words
        for i in range(items.count()):
            item = items.nth(i).bounding_box()
            assert item["height"] < 2 * TAP, (i, item)  # no "首/页"
        page.screenshot(path=str(artifacts / f"menu-{who}-{width}.png"))
        # A group opens as a dropdown; the link inside it leads to its page.
        page.click("#mainnav summary:has-text('督导')")
        with page.expect_navigation(url="**/visits/compliance/"):
            page.click("#mainnav a[href='/visits/compliance/']")
    finally:
        context.close()


def test_wide_table_headers_are_not_broken_per_character(live_server, people, browser):
    context = _laptop(browser, 1366)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "civil")
        page.goto(f"{live_server.url}/stats/")
        heights = page.eval_on_selector_all(
            "table thead th",
            "ths => ths.map(th => [th.innerText, th.getBoundingClientRect().height,"
            " parseFloat(getComputedStyle(th).lineHeight)])",
        )
        assert heights
        for text, height, line in heights:
            if text.strip():
                assert height < 2 * line + 10, (text, height)  # one line (plus padding)
    finally:
        context.close()


def _small(page, selector):
    boxes = page.eval_on_selector_all(
        selector,
        "els => els.filter(e => e.offsetParent !== null).map(e => {"
        " const r = e.getBoundingClientRect();"
        " return [e.outerHTML.slice(0, 80), r.width, r.height]; })",
    )
    assert boxes, selector
    return [b for b in boxes if b[1] < TAP or b[2] < TAP]


def test_tap_targets_on_a_phone_are_at_least_44_px(live_server, people, phone, browser):
    child = make_child(people["director"], ZHIDA, name="陈小雨")
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/visits/new/?child={child.pk}")
    assert _small(phone, ".form-check:has(> input[type=radio]) > label") == []
    assert _small(phone, ".form-check:has(> input[type=checkbox]) > label") == []
    phone.goto(f"{live_server.url}/children/")
    assert _small(phone, "td > a[href*='/children/']") == []
    phone.goto(f"{live_server.url}/stats/area/{ZHIDA}/")
    assert _small(phone, ".list-group-item > a[data-testid=category]") == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.goto(f"{live_server.url}/")
    phone.click(".navbar-toggler")
    phone.wait_for_selector("#mainnav.show")
    assert _small(phone, "#mainnav .nav-link") == []
    # The supervisor's town dashboard on a phone: the numbers in its table.
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "supervisor")
        page.goto(f"{live_server.url}/stats/area/{JINGGUAN}/")
        assert _small(page, "td a[data-testid]") == []
        assert _small(page, "th a[data-testid=drill]") == []
    finally:
        context.close()
