"""The Content-Security-Policy in a real browser (issue 19): the pages with the most moving
parts render with nothing refused — the dashboard's charts and their tooltips, the API
documentation, a printable training file, an export's progress bar — and the watcher every
end-to-end test runs under (conftest.CSP_VIOLATIONS) does see a violation when there is one."""

from __future__ import annotations

import pytest

from tests.e2e import conftest
from tests.e2e.test_child_registration import sign_in
from tests.factories import ZHIDA, make_child

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_watcher_sees_a_refused_inline_style(live_server, phone):
    def answer(route):
        route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "style-src 'self'"},
            body='<!doctype html><p style="color: red">x</p>',
        )

    phone.route(f"{live_server.url}/csp-probe/", answer)
    phone.goto(f"{live_server.url}/csp-probe/")
    phone.wait_for_timeout(300)
    assert any("inline style" in line for line in conftest.CSP_VIOLATIONS)
    conftest.CSP_VIOLATIONS.clear()


def test_busy_pages_run_under_the_policy(live_server, people, browser):
    make_child(people["civil"], ZHIDA, name="图表", categories=["rural_left_behind"])
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "supervisor")
        page.goto(f"{live_server.url}/stats/")
        page.wait_for_selector("#chart-compliance canvas")
        # The chart's tooltip is HTML ECharts writes: it must not need an inline style.
        page.hover("#chart-compliance canvas", position={"x": 200, "y": 130})
        page.wait_for_timeout(300)
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.stats-chart')).height")
            == "260px"
        )
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == (
            "1100px"
        )

        page.goto(f"{live_server.url}/training/files/{people['supervisor'].pk}/?print=1")
        page.wait_for_selector("[data-print]")
        page.evaluate("window.print = () => { window.printed = true; }")
        page.click("[data-print]")
        assert page.evaluate("window.printed") is True

        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".swagger-ui .info", timeout=20000)
    finally:
        context.close()
    assert not conftest.CSP_VIOLATIONS, conftest.CSP_VIOLATIONS
