"""A director records a safety-education activity in her village on a phone, with five
children picked one by one with the child picker, and it shows on a child's timeline."""

import datetime

import pytest

from activities.models import Activity
from core import clock as app_clock
from tests.e2e.test_child_registration import sign_in
from tests.factories import make_child

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ["王小红", "李明", "赵强", "钱多", "孙悟"]


def test_director_records_a_safety_activity_with_five_children_on_a_phone(
    live_server, people, phone, artifacts
):
    kids = [
        make_child(people["director"], name=name, birth_date=datetime.date(2014, 5, n + 1))
        for n, name in enumerate(NAMES)
    ]
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/activities/")
    with phone.expect_navigation(wait_until="load"):
        phone.click("[data-testid=record-activity]")
    assert phone.input_value("input[name=held_on]") == app_clock.today().isoformat()
    phone.select_option("select[name=kind]", "safety")
    phone.check("input[name=topics][value=drowning]")
    phone.fill("input[name=title]", "暑期防溺水安全教育")
    phone.fill("input[name=place]", "志达社区儿童之家")
    for child in kids:
        phone.fill("#id_children_search", child.name)
        phone.wait_for_selector(f"#id_children_results [data-pick='{child.pk}']")
        phone.click(f"#id_children_results [data-pick='{child.pk}']")
        phone.wait_for_selector(f"[data-attendee][value='{child.pk}']", state="attached")
    assert phone.locator("[data-attendee]:checked").count() == 5
    assert phone.input_value("#id_children_search") == ""
    phone.fill("input[name=volunteers]", "西南大学志愿者 3 人")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(artifacts / "activity-form-375.png"), full_page=True)
    with phone.expect_navigation(wait_until="load"):
        phone.click("[data-testid=save-activity]")
    activity = Activity.objects.get()
    assert phone.url.endswith(f"/activities/{activity.pk}/")
    assert activity.kind == "safety" and activity.topics == ["drowning"]
    assert sorted(activity.attendances.values_list("child_id", flat=True)) == sorted(
        c.pk for c in kids
    )
    assert phone.locator("[data-testid=attendees] li").count() == 5

    phone.goto(f"{live_server.url}/children/{kids[3].pk}/")
    entry = phone.locator("[data-kind=activity]")
    entry.wait_for()
    assert "暑期防溺水安全教育" in entry.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(artifacts / "activity-timeline-375.png"), full_page=True)
