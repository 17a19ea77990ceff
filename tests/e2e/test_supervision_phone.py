"""The supervision pages at phone width (375 px), in a real headless browser: the assessment
table scrolls inside its box, and a checker records a spot-check on a phone."""

from __future__ import annotations

import pytest

from core import clock as app_clock
from supervision import services
from supervision.models import SpotCheckItem
from tests.e2e.test_child_registration import sign_in
from tests.factories import BEIBEI, ZHIDA, make_child, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_assessment_and_spot_check_on_a_phone(live_server, people, phone, artifacts):
    make_child(people["civil"], ZHIDA, name="陈小雨")
    spot_check = services.spot_check_draw(
        by=people["civil"], district=region(BEIBEI), year=app_clock.today().year,
        percentage=100, seed=1,
    )  # fmt: skip
    item = spot_check.items.get()

    sign_in(phone, live_server.url, "supervisor")
    phone.goto(f"{live_server.url}/supervision/assessment/")
    phone.wait_for_selector("[data-testid=assessment-table]")
    assert fits(phone)
    phone.screenshot(path=str(artifacts / "supervision-assessment-phone.png"), full_page=True)

    phone.context.clear_cookies()
    sign_in(phone, live_server.url, "civil")
    phone.goto(f"{live_server.url}/supervision/spot-checks/items/{item.pk}/")
    phone.wait_for_selector("[data-testid=check-form]")
    assert fits(phone)
    phone.check("input[name=problems_ok][value=no]")
    phone.fill("textarea[name=findings]", "问题未记录解决情况")
    phone.fill("input[name=rect_1_text]", "补记解决措施")
    phone.fill("input[name=rect_1_due_on]", app_clock.today().isoformat())
    phone.click("[data-testid=check-form] button[type=submit]")
    phone.wait_for_selector("[data-testid=result]")
    assert fits(phone)
    phone.screenshot(path=str(artifacts / "supervision-spot-check-phone.png"), full_page=True)
    item = SpotCheckItem.objects.get(pk=item.pk)
    assert item.checked_on is not None and item.problems_ok is False
    assert item.rectifications.count() == 1
