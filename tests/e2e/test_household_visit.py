"""A director logs one household visit for three siblings on a phone and sees each child's
visit (issue 17, part 1)."""

import datetime

import pytest
from django.utils import timezone

from children import household
from children.models import Child
from core import clock as app_clock
from tests.e2e.test_child_registration import sign_in
from tests.factories import make_child
from visits import cadence
from visits.models import Visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _siblings(director):
    born = (datetime.date(2012, 5, 1), datetime.date(2014, 6, 2), datetime.date(2016, 7, 3))
    children = [
        make_child(director, name=name, birth_date=day)
        for name, day in zip(("王大宝", "王二宝", "王小宝"), born, strict=True)
    ]
    home = household.household_of(by=director, child=children[0])
    for child in children[1:]:
        household.household_join(by=director, child=child, household=home)
    # Registered long ago and never visited: all three overdue.
    at = timezone.make_aware(datetime.datetime(2025, 1, 1, 9))
    Child.objects.filter(pk__in=[c.pk for c in children]).update(created_at=at)
    for child in children:
        child.refresh_from_db()
        cadence.recompute(child)
        child.refresh_from_db()
    return home, children


def test_director_logs_one_household_visit_for_three_siblings(
    live_server, people, phone, artifacts
):
    home, children = _siblings(people["director"])
    today = app_clock.today()
    assert all(c.next_home_visit_due < today for c in children)  # all three overdue

    sign_in(phone, live_server.url, "director")
    with phone.expect_navigation(wait_until="load"):
        phone.goto(f"{live_server.url}/children/households/{home.pk}/")
    assert phone.locator("[data-member]").count() == 3
    with phone.expect_navigation(wait_until="load"):
        phone.click("[data-action=household-visit]")
    # "Also for his/her siblings" ticked, each sibling ticked.
    assert phone.is_checked("input[name=also_siblings]")
    for child in children[1:]:
        assert phone.is_checked(f"input[name=sibling_{child.pk}]")
    phone.check("input[name=kind][value=home_visit]")
    phone.fill("input[name=seen]", "三个孩子和奶奶")
    phone.check(f"input[name=sibling_{children[2].pk}_concerns][value=health]")
    phone.fill(f"input[name=sibling_{children[2].pk}_note]", "小宝感冒")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    with phone.expect_navigation(wait_until="load"):
        phone.click("main button[type=submit]")

    visits = {v.child_id: v for v in Visit.objects.all()}
    assert set(visits) == {c.pk for c in children}
    assert visits[children[2].pk].health == "concern"
    assert visits[children[2].pk].child_note == "小宝感冒"
    first = visits[children[0].pk]
    assert phone.url.endswith(f"/visits/{first.pk}/")
    links = phone.locator("[data-testid=household-visits] a")
    assert links.count() == 2

    # Each child's own visit, and each child's next home visit moved.
    for child in children:
        with phone.expect_navigation(wait_until="load"):
            phone.goto(f"{live_server.url}/children/{child.pk}/")
        phone.wait_for_selector(f"[data-visit='{visits[child.pk].pk}']", state="attached")
        due = phone.get_attribute("[data-testid=next-home-visit-due]", "data-date")
        assert due and due > today.isoformat()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(artifacts / "household-visit-375.png"), full_page=True)
