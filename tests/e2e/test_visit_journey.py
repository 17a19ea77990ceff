import datetime

import pytest
from django.utils import timezone

from children.models import Child
from core import clock as app_clock
from tests.clock import add_months
from tests.e2e.test_child_registration import sign_in
from tests.factories import make_child
from visits import cadence
from visits.models import Visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_director_logs_a_home_visit_from_my_work_on_a_phone(live_server, people, phone, artifacts):
    child = make_child(people["director"], name="陈小雨")
    # Registered long ago and never visited: overdue on "my work".
    at = timezone.make_aware(datetime.datetime(2025, 1, 1, 9))
    Child.objects.filter(pk=child.pk).update(created_at=at)
    cadence.recompute(child)
    child.refresh_from_db()
    before = child.next_home_visit_due
    today = app_clock.today()
    assert before < today

    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/visits/")
    phone.click(f"[data-log-visit='{child.pk}']")
    phone.wait_for_selector("input[name=seen]")
    # Sensible defaults: today's date, every finding fine.
    assert phone.input_value("input[name=visit_date]") == today.isoformat()
    assert phone.is_checked("input[name=safety][value=fine]")
    phone.check("input[name=kind][value=home_visit]")
    phone.fill("input[name=seen]", "孩子和奶奶")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[data-testid=current-user]", state="attached")
    visit = Visit.objects.get()
    assert visit.kind == "home_visit" and visit.child_id == child.pk
    assert phone.url.endswith(f"/visits/{visit.pk}/")

    phone.goto(f"{live_server.url}/children/{child.pk}/")
    phone.wait_for_selector(f"[data-visit='{visit.pk}']")
    home_due = phone.get_attribute("[data-testid=next-home-visit-due]", "data-date")
    contact_due = phone.get_attribute("[data-testid=next-contact-due]", "data-date")
    assert home_due == add_months(today, 3).isoformat()
    assert contact_due == add_months(today, 1).isoformat()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(artifacts / "visit-journey-375.png"), full_page=True)
