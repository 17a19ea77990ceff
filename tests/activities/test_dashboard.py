"""The year's figures: activities by type and area, villages without a safety-education
activity, children who took part in none; scoped and in a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse

from activities import selectors
from core import clock
from tests.activities.conftest import record
from tests.factories import JINGGUAN, XINGCHENG, ZHIDA, region

pytestmark = pytest.mark.django_db


def test_figures_by_type_and_area(people, kids):
    record(people["director"], kids["zhida"][:3])
    record(people["director"], kids["zhida"][:1], kind="reading", topics=[])
    record(people["supervisor"], [kids["xingcheng"]], area_code=JINGGUAN, kind="holiday", topics=[])
    last_year = clock.today().replace(year=clock.today().year - 1, month=6, day=1)
    record(people["director"], kids["zhida"][3:], held_on=last_year)
    d = selectors.dashboard(people["supervisor"], clock.today().year)
    assert d.total == 3 and d.by_kind["safety"] == 1 and d.by_kind["holiday"] == 1
    rows = {row.code: row for row in d.areas}
    assert rows[ZHIDA].counts == {"safety": 1, "reading": 1}
    assert rows[ZHIDA].name == region(ZHIDA).name
    assert rows[JINGGUAN].counts == {"holiday": 1}  # the town's own row
    # 星城 had no safety activity; 志达 had one. Children: 4 of 志达 and 星城 took part.
    villages = [v.code for v in d.villages_without_safety]
    assert ZHIDA not in villages and XINGCHENG in villages
    assert d.children_without_count == 2 and d.children_total == 6
    assert {c.name for c in d.children_without} == {"钱多", "孙悟"}


def test_a_town_safety_activity_counts_for_the_villages_whose_children_came(people, kids):
    record(people["supervisor"], [kids["xingcheng"]], area_code=JINGGUAN)
    d = selectors.dashboard(people["supervisor"], clock.today().year)
    villages = [v.code for v in d.villages_without_safety]
    assert XINGCHENG not in villages and ZHIDA in villages


def test_the_dashboard_is_scoped(people, kids, login):
    record(people["director"], kids["zhida"])
    d = selectors.dashboard(people["other_supervisor"], clock.today().year)
    assert d.total == 0 and all(not v.code.startswith("500109") for v in d.villages_without_safety)
    assert d.children_total == 1
    assert login(people["sysadmin"]).get(reverse("activities:dashboard")).status_code == 404
    neighbour = selectors.dashboard(people["neighbour"], clock.today().year)
    assert neighbour.total == 0 and [v.code for v in neighbour.villages_without_safety] == [
        XINGCHENG
    ]


def test_the_page_takes_a_fixed_number_of_queries(
    people, kids, login, django_assert_max_num_queries
):
    client = login(people["civil"])
    record(people["director"], kids["zhida"][:1])
    client.get(reverse("activities:dashboard"))
    with django_assert_max_num_queries(14) as first:
        client.get(reverse("activities:dashboard"))
    for n in range(5):
        record(people["director"], kids["zhida"][n:], kind="reading", topics=[])
        record(
            people["supervisor"],
            [kids["xingcheng"]],
            area_code=JINGGUAN,
            topics=[],
            kind="holiday",
            held_on=clock.today() - datetime.timedelta(days=n),
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = client.get(reverse("activities:dashboard")).content.decode()
    assert 'data-area="500109110000"' in body
