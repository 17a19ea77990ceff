"""The archive page on a phone (issue 15): "记录走访", "强制报告" and "添加工作记录" at the top,
within the first screen (375 x 740), even for a key child with warnings; each leads to its
form for this child. And the danger path: a visit with danger found opens the report form
filled from the visit."""

import datetime

import pytest
from django.utils import timezone

from children.models import Child
from core import clock as app_clock
from reports.models import MandatoryReport
from tests.e2e.test_child_registration import sign_in
from tests.factories import make_child
from visits import cadence

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREEN = 740  # the phone fixture's viewport height


def test_the_archive_page_puts_its_three_actions_on_the_first_screen(
    live_server, people, phone, artifacts
):
    # A key child (a psychological concern) never visited: warnings above the records.
    child = make_child(people["director"], name="陈小雨", psychological_concern=True)
    at = timezone.make_aware(datetime.datetime(2025, 1, 1, 9))
    Child.objects.filter(pk=child.pk).update(created_at=at)
    cadence.recompute(child)
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/children/{child.pk}/")
    phone.wait_for_selector("[data-testid=child-actions]")
    phone.screenshot(path=str(artifacts / "archive-actions-375.png"))
    labels = {}
    for action in ("log-visit", "file-report", "add-note"):
        button = phone.locator(f"[data-testid=child-actions] [data-action={action}]")
        box = button.bounding_box()
        assert box is not None, action
        assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN, (action, box)
        assert box["height"] >= 38 and box["x"] + box["width"] <= 375, (action, box)
        labels[action] = button.inner_text()
    assert labels["log-visit"] == "记录走访"
    assert "强制报告" in labels["file-report"]
    assert labels["add-note"] == "添加工作记录"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    phone.click("[data-action=file-report]")
    phone.wait_for_selector("input[name=found_at]")
    assert phone.input_value("input[name=child]") == str(child.pk)


def test_a_danger_visit_opens_the_report_filled_from_it(live_server, people, phone):
    child = make_child(people["director"], name="陈小雨")
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/children/{child.pk}/")
    phone.click("[data-action=log-visit]")
    phone.wait_for_selector("input[name=seen]")
    phone.check("input[name=kind][value=home_visit]")
    phone.fill("input[name=seen]", "孩子和父亲")
    phone.check("input[name=safety][value=concern]")
    phone.fill("input[name=safety_note]", "手臂有淤青")
    phone.check("input[name=danger_found]")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[data-testid=from-visit]")
    assert "手臂有淤青" in phone.input_value("textarea[name=what_seen]")
    assert phone.input_value("input[name=location]") == child.address
    assert phone.input_value("input[name=found_at]").startswith(app_clock.today().isoformat())
    phone.check("input[name=situations][value=domestic_violence]")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[data-testid=report-visit]")
    report = MandatoryReport.objects.get()
    assert report.visit is not None and report.visit.child_id == child.pk
