"""The visit cadence (R14/R15): the pure rule as a table, the same rule in SQL, and the
hooks that keep each child's stored due dates current."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from children import closing, registration
from children.models import Child
from core import calendar
from tests.factories import BEIBEI, make_child, region
from tests.visits.conftest import REGISTERED, TODAY, log, registered
from visits import cadence, services
from visits.models import CadenceRule

pytestmark = pytest.mark.calendar

D = datetime.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 10, 20), 1, D(2026, 11, 20)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
    ],
)
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert calendar.add_months(day, months) == expected


REG = D(2026, 1, 5)
CASES = [
    # (name, is_key, active, visits, (contact due, home visit due))
    ("new child", False, True, [], (D(2026, 2, 5), D(2026, 2, 4))),
    ("phone contact", False, True, [("phone", D(2026, 10, 20))],
     (D(2026, 11, 20), D(2026, 2, 4))),
    ("month end", False, True, [("video", D(2026, 1, 31))], (D(2026, 2, 28), D(2026, 2, 4))),
    ("home visit counts as contact", False, True, [("home_visit", D(2026, 3, 10))],
     (D(2026, 4, 10), D(2026, 6, 10))),
    ("back-dated visit: the latest date wins", False, True,
     [("in_person", D(2026, 9, 1)), ("in_person", D(2026, 5, 1))], (D(2026, 10, 1), D(2026, 2, 4))),
    ("key child: phone does not count", True, True, [("phone", D(2026, 10, 20))],
     (D(2026, 2, 5), D(2026, 2, 4))),
    ("key child: monthly home visit", True, True,
     [("home_visit", D(2026, 9, 30)), ("phone", D(2026, 10, 30))],
     (D(2026, 10, 30), D(2026, 10, 30))),
    ("closed child", False, False, [("home_visit", D(2026, 3, 10))], (None, None)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "is_key", "active", "visits", "expected"), CASES)
def test_due_dates_table(name, is_key, active, visits, expected):
    result = cadence.due_dates(registered_on=REG, is_key=is_key, active=active, visits=visits)
    assert result == expected, name


@pytest.mark.parametrize(("name", "is_key", "active", "visits", "expected"), CASES)
def test_sql_rule_agrees_with_the_table(people, name, is_key, active, visits, expected):
    """The stored dates (set-based SQL) equal the pure rule on the same facts."""
    from visits.models import Visit

    child = registered(make_child(people["director"], psychological_concern=is_key), REG)
    assert child.is_key == is_key
    for kind, day in visits:
        Visit.objects.create(child=child, author=people["director"], kind=kind, visit_date=day,
                             seen="x")  # fmt: skip
    if not active:
        Child.objects.filter(pk=child.pk).update(status="closed")
    cadence.recompute(child)
    child.refresh_from_db()
    assert (child.next_contact_due, child.next_home_visit_due) == expected, name


def test_registration_sets_the_first_home_visit_30_days_out(people):
    child = make_child(people["director"])
    registered_on = child.created_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert child.next_home_visit_due == registered_on.date() + datetime.timedelta(days=30)
    assert child.next_contact_due == calendar.add_months(registered_on.date(), 1)


def test_a_visit_moves_the_dates_and_a_back_dated_one_does_not_go_backwards(people, child):
    log(people["director"], child, "in_person", D(2026, 10, 20))
    assert child.next_contact_due == D(2026, 11, 20)
    log(people["director"], child, "phone", D(2026, 9, 1))  # entered later, dated earlier
    assert child.next_contact_due == D(2026, 11, 20)
    log(people["director"], child, "home_visit", D(2026, 11, 2))
    assert (child.next_contact_due, child.next_home_visit_due) == (D(2026, 12, 2), D(2027, 2, 2))


def test_key_childs_phone_contact_resets_nothing(people, key_child):
    before = (key_child.next_contact_due, key_child.next_home_visit_due)
    log(people["director"], key_child, "phone", D(2026, 11, 20))
    log(people["director"], key_child, "video", D(2026, 11, 21))
    assert (key_child.next_contact_due, key_child.next_home_visit_due) == before
    log(people["director"], key_child, "home_visit", D(2026, 11, 22))
    assert (key_child.next_contact_due, key_child.next_home_visit_due) == (
        D(2026, 12, 22),
        D(2026, 12, 22),
    )


def test_key_status_change_recomputes(people, child):
    log(people["director"], child, "home_visit", D(2026, 10, 1))
    assert child.next_home_visit_due == D(2027, 1, 1)
    from tests.factories import child_input

    data = child_input(psychological_concern=True)
    data.id_number = child.id_number
    registration.child_save(by=people["director"], data=data, instance=child, today=TODAY)
    child.refresh_from_db()
    assert child.is_key
    assert child.next_home_visit_due == D(2026, 11, 1)


def test_closing_clears_and_reopening_restores(people, child):
    log(people["director"], child, "home_visit", D(2026, 10, 1))
    closing.child_close(
        by=people["director"], child=child, reason="moved_away", closed_on=TODAY,
        new_address="广东东莞", today=TODAY,
    )  # fmt: skip
    child.refresh_from_db()
    assert (child.next_contact_due, child.next_home_visit_due) == (None, None)
    closing.child_reopen(by=people["director"], child=child, note="回来了")
    child.refresh_from_db()
    assert (child.next_contact_due, child.next_home_visit_due) == (D(2026, 11, 1), D(2027, 1, 1))


def test_district_rule_applies_to_every_child_in_a_bounded_number_of_queries(people):
    from tests.factories import CHENGUANG, XINGCHENG

    director = people["director"]
    children = [registered(make_child(director, name=f"孩子{i}")) for i in range(6)]
    for c in children[:3]:
        log(director, c, "home_visit", D(2026, 9, 15))
    neighbour_child = registered(make_child(people["neighbour"], XINGCHENG))
    other = registered(make_child(people["other_director"], CHENGUANG))
    other_before = (other.next_contact_due, other.next_home_visit_due)

    with CaptureQueriesContext(connection) as ctx:
        services.cadence_rule_save(
            by=people["civil"], district=region(BEIBEI),
            values={"contact_months": 2, "home_visit_months": 2, "key_home_visit_months": 1,
                    "key_remote_counts": False, "first_home_visit_days": 10},
        )  # fmt: skip
    updates = [q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "children_child"')]
    assert len(updates) == 1
    assert len(ctx.captured_queries) <= 12
    for c in children[:3]:
        c.refresh_from_db()
        assert (c.next_contact_due, c.next_home_visit_due) == (D(2026, 11, 15), D(2026, 11, 15))
    for c in [*children[3:], neighbour_child]:
        c.refresh_from_db()
        assert c.next_home_visit_due == REGISTERED + datetime.timedelta(days=10)
        assert c.next_contact_due == D(2025, 3, 1)
    other.refresh_from_db()
    assert (other.next_contact_due, other.next_home_visit_due) == other_before  # other district
    assert CadenceRule.objects.get(district__code=BEIBEI).contact_months == 2
