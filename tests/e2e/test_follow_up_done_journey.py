"""A director on a 375 px phone logs a visit with a follow-up item due on a date, then marks it
done from the visit page (htmx swaps the row in place), and the supervisor's rectification item
is marked done by the village's director from the inspection page."""

import datetime

import pytest
from django.utils import timezone

from children.models import Child
from core import clock as app_clock
from tests.e2e.test_child_registration import sign_in
from tests.factories import ZHIDA, make_child, region
from visits import cadence, inspections
from visits.models import FollowUp, Rectification, Visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_follow_up_logged_and_marked_done_on_a_phone(live_server, people, phone, artifacts):
    child = make_child(people["director"], name="陈小雨")
    at = timezone.make_aware(datetime.datetime(2025, 1, 1, 9))
    Child.objects.filter(pk=child.pk).update(created_at=at)
    cadence.recompute(child)
    today = app_clock.today()
    due = today + datetime.timedelta(days=7)

    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/visits/new/?child={child.pk}")
    phone.wait_for_selector("input[name=seen]")
    phone.check("input[name=kind][value=home_visit]")
    phone.fill("input[name=seen]", "孩子和奶奶")
    phone.check("input[name=schooling][value=concern]")
    phone.fill("input[name=schooling_note]", "常缺课")
    phone.fill("input[name=follow_up_1]", "联系班主任了解出勤")
    phone.fill("input[name=follow_up_1_due]", due.isoformat())
    phone.check("input[name=follow_up_1_urgent]")
    assert fits(phone)
    phone.screenshot(path=str(artifacts / "visit-form-375.png"), full_page=True)
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[data-testid=follow-ups]")
    visit = Visit.objects.get()
    item = FollowUp.objects.get(visit=visit)
    assert (item.text, item.due_on, item.urgent) == ("联系班主任了解出勤", due, True)

    row = f"[data-follow-up='{item.pk}']"
    phone.fill(f"{row} input[name=done_note]", "已与班主任沟通")
    phone.evaluate("window.__not_reloaded = true")
    phone.click(f"{row} button[type=submit]")
    phone.wait_for_selector(f"{row}[data-done='1']")
    assert phone.evaluate("window.__not_reloaded") is True  # swapped in place by htmx
    assert "已与班主任沟通" in phone.inner_text(row)
    assert fits(phone)
    phone.screenshot(path=str(artifacts / "visit-detail-done-375.png"), full_page=True)
    item.refresh_from_db()
    assert item.done and item.done_on == today and item.done_note == "已与班主任沟通"

    # A third item, added on the visit's page after saving, shows on "my work".
    form = "[data-testid=add-follow-up]"
    phone.fill(f"{form} input[name=text]", "下周再次入户")
    phone.fill(f"{form} input[name=due_on]", due.isoformat())
    phone.click(f"{form} button[type=submit]")
    phone.wait_for_selector("text=下周再次入户")
    added = FollowUp.objects.get(visit=visit, done=False)
    phone.goto(f"{live_server.url}/visits/")
    phone.wait_for_selector(f"[data-follow-up='{added.pk}'] input[name=done_note]")
    assert fits(phone)
    phone.screenshot(path=str(artifacts / "my-work-375.png"), full_page=True)


def test_director_closes_a_rectification_on_a_phone(live_server, people, phone):
    inspected = app_clock.today() - datetime.timedelta(days=3)
    inspection, _ = inspections.inspection_record(
        by=people["supervisor"],
        village=region(ZHIDA),
        inspected_on=inspected,
        checklist={},
        rectifications=[inspections.RectificationInput("儿童之家补充图书", inspected)],
    )
    item = Rectification.objects.get()
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/visits/inspections/{inspection.pk}/")
    row = f"[data-rectification='{item.pk}']"
    phone.fill(f"{row} input[name=done_note]", "已补充50册")
    phone.click(f"{row} button[type=submit]")
    phone.wait_for_selector(f"{row}[data-done='1']")
    assert fits(phone)
    item.refresh_from_db()
    assert item.done and item.done_note == "已补充50册" and item.done_by == people["director"]
