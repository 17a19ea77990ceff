"""The dashboard in a real browser at phone width: ECharts (served locally) draws both charts,
the page does not scroll sideways (the wide table scrolls inside its own box), and the
drill-down link opens the village."""

from __future__ import annotations

import pytest

from tests.e2e.test_child_registration import sign_in
from tests.factories import JINGGUAN, ZHIDA, make_child

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_town_dashboard_on_a_phone(live_server, people, phone, artifacts):
    make_child(people["civil"], ZHIDA, name="图表", categories=["rural_left_behind", "poverty"])
    sign_in(phone, live_server.url, "supervisor")
    phone.goto(f"{live_server.url}/stats/")
    phone.wait_for_selector(f"[data-testid=area][data-code='{JINGGUAN}']")
    phone.wait_for_selector("#chart-compliance canvas")
    phone.wait_for_selector("#chart-categories canvas")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(artifacts / "stats-town-phone.png"), full_page=True)
    phone.click(f"[data-testid=row][data-code='{ZHIDA}'] [data-testid=drill]")
    phone.wait_for_selector(f"[data-testid=area][data-code='{ZHIDA}']")
    assert phone.inner_text("[data-testid=total-served]") == "1"
