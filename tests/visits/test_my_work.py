"""The director's "my work" (issue 15): each row says per kind what is late and by how many
days or when it is due; the village once as a heading; danger and urgent follow-ups and the
rectification items due first, then overdue children, due soon, the rest; the same order in
the phone's copy (/api/v1/offline/); a constant number of queries; scope."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from children.models import Child
from core import clock as app_clock
from org.models import Assignment
from tests.factories import START, XINGCHENG, ZHIDA, Role, make_child, make_user, region
from tests.visits.conftest import registered
from visits import inspections, selectors, services, worklist
from visits.models import FollowUp

pytestmark = pytest.mark.calendar

DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return app_clock.today()


def due(child: Child, contact: datetime.date, home: datetime.date) -> Child:
    Child.objects.filter(pk=child.pk).update(next_contact_due=contact, next_home_visit_due=home)
    child.refresh_from_db()
    return child


def work_list(body: str) -> str:
    """The children's part of the page (until the link to all visits)."""
    start = body.index('data-testid="work-list"')
    return body[start : body.index(f'href="{reverse("visits:list")}"', start)]


def danger_visit(director, child):
    visit, _ = services.visit_record(
        by=director,
        child=child,
        values={"kind": "home_visit", "visit_date": today(), "seen": "孩子和父亲",
                "safety": "concern", "safety_note": "手臂有淤青", "danger_found": True},
        client_uuid=uuid.uuid4(),
    )  # fmt: skip
    return visit


def rectification(supervisor, village, *dues):
    inspection, _ = inspections.inspection_record(
        by=supervisor, village=region(village), inspected_on=today(), checklist={},
        rectifications=[inspections.RectificationInput(f"整改{i}", d) for i, d in enumerate(dues)],
    )  # fmt: skip
    return inspection


# --- The row's words ---------------------------------------------------------------------------


def test_a_row_says_which_kind_is_late_by_how_many_days_and_when_the_other_is_due(people, login):
    director = people["director"]
    home = today() + 35 * DAY
    child = due(registered(make_child(director, name="陈小雨")), today() - 34 * DAY, home)
    body = login(director).get(reverse("visits:my_work")).content.decode()
    row = re.search(rf'data-work-child="{child.pk}".*?</li>', body, re.S).group(0)
    assert "联系逾期 34 天" in row
    assert f"入户走访 {home.month}月{home.day}日到期" in row
    # The overdue marking is on the contact only; the home visit is not late.
    assert re.search(r'data-due="contact" data-overdue="1">联系逾期 34 天<', row)
    assert re.search(r'data-due="home_visit" data-overdue="0">入户走访', row)
    assert "已逾期" not in row
    # The village once, as the list's heading, never on the row.
    village = child.village.name
    assert village not in row
    assert work_list(body).count(village) == 1


def test_due_today_and_far_dates_are_worded(people):
    child = due(make_child(people["director"]), today(), today() + 400 * DAY)
    words = [d.text for d in worklist.dues(child, today())]
    far = today() + 400 * DAY
    assert words == ["联系今天到期", f"入户走访 {far.year}年{far.month}月{far.day}日到期"]
    assert [d.overdue for d in worklist.dues(child, today())] == [False, False]
    late = worklist.dues(due(child, today() - DAY, today() - 3 * DAY), today())
    assert [(d.kind, d.days_late) for d in late] == [("contact", 1), ("home_visit", 3)]


def test_a_director_of_two_villages_reads_her_children_by_village(people, login):
    director = people["director"]
    Assignment.objects.create(
        user=director, region=region(XINGCHENG), role=Role.CHILD_DIRECTOR, start_date=START
    )
    here = due(make_child(director, name="甲"), today() + 3 * DAY, today() + 40 * DAY)
    there = due(make_child(director, XINGCHENG, name="乙"), today() - DAY, today() + 9 * DAY)
    later = due(make_child(director, name="丙"), today() + 20 * DAY, today() + 40 * DAY)
    body = work_list(login(director).get(reverse("visits:my_work")).content.decode())
    zhida, xingcheng = region(ZHIDA), region(XINGCHENG)
    assert body.count(f'data-village="{zhida.pk}"') == body.count(f'data-village="{xingcheng.pk}"')
    assert body.count(f'data-village="{zhida.pk}"') == 1
    heading = {v.pk: body.index(f'data-village="{v.pk}"') for v in (zhida, xingcheng)}
    rows = {c.pk: body.index(f'data-work-child="{c.pk}"') for c in (here, there, later)}
    # 志达 (…004) before 星城 (…005); in each village the most pressing first.
    assert heading[zhida.pk] < rows[here.pk] < rows[later.pk] < heading[xingcheng.pk]
    assert heading[xingcheng.pk] < rows[there.pk]


# --- The order ----------------------------------------------------------------------------------


def test_danger_and_urgent_work_and_rectifications_due_come_before_the_children(people, login):
    director, supervisor = people["director"], people["supervisor"]
    overdue = due(registered(make_child(director, name="乙")), today() - 5 * DAY, today() + DAY)
    soon = due(registered(make_child(director, name="丙")), today() + 2 * DAY, today() + 60 * DAY)
    in_danger = registered(make_child(director, name="甲"))
    visit = danger_visit(director, in_danger)
    danger_item = visit.follow_ups.get(urgent=True)
    inspection = rectification(supervisor, ZHIDA, today() + 3 * DAY, today() + 30 * DAY)
    rect_due, rect_later = inspection.rectifications.order_by("due_on")
    body = login(director).get(reverse("visits:my_work")).content.decode()
    at = {
        "danger": body.index(f'data-follow-up="{danger_item.pk}"'),
        "rect_due": body.index(f'data-rectification="{rect_due.pk}"'),
        "overdue": body.index(f'data-work-child="{overdue.pk}"'),
        "soon": body.index(f'data-work-child="{soon.pk}"'),
        "later": body.index(f'data-work-child="{in_danger.pk}"'),  # visited today
        "rect_later": body.index(f'data-rectification="{rect_later.pk}"'),
    }
    assert list(at) == sorted(at, key=at.get), at
    # The danger item leads straight to the report, filed from the visit.
    assert f'data-report-from-visit="{visit.pk}"' in body
    assert f"?child={in_danger.pk}&amp;visit={visit.pk}" in body


def test_urgent_follow_ups_come_before_overdue_ones(people):
    director = people["director"]
    child = registered(make_child(director))
    visit = services.visit_record(
        by=director,
        child=child,
        values={"kind": "in_person", "visit_date": today() - 10 * DAY, "seen": ""},
        client_uuid=uuid.uuid4(),
    )[0]
    late = FollowUp.objects.create(visit=visit, text="补交材料", due_on=today() - 2 * DAY)
    urgent = FollowUp.objects.create(visit=visit, text="联系派出所", due_on=today(), urgent=True)
    danger = danger_visit(director, child).follow_ups.get()
    waiting = FollowUp.objects.create(visit=visit, text="回访", due_on=today() + 9 * DAY)
    items = worklist.split_items(list(selectors.open_follow_ups(director, today())), [], today())
    assert [item.pk for _kind, item in items.first] == [danger.pk, urgent.pk, late.pk]
    assert items.follow_ups == [waiting]


def test_the_phones_copy_comes_most_pressing_first(people):
    director = people["director"]
    later = due(registered(make_child(director, name="丁")), today() + 20 * DAY, today() + 40 * DAY)
    overdue = due(registered(make_child(director, name="乙")), today() - 5 * DAY, today() + DAY)
    soon = due(registered(make_child(director, name="丙")), today() + 2 * DAY, today() + 60 * DAY)
    in_danger = registered(make_child(director, name="甲"))
    danger_visit(director, in_danger)
    api = APIClient()
    api.force_authenticate(director)
    rows = api.get("/api/v1/offline/").json()["children"]
    assert [(r["id"], r["priority"]) for r in rows] == [
        (in_danger.pk, "danger"),
        (overdue.pk, "overdue"),
        (soon.pk, "due_soon"),
        (later.pk, "later"),
    ]
    assert rows[0]["follow_ups"][0]["urgent"] is True


def test_another_villages_director_sees_none_of_it(people, login):
    director = people["director"]
    visit = danger_visit(director, registered(make_child(director, name="甲")))
    inspection = rectification(people["supervisor"], ZHIDA, today() + DAY)
    for who in ("neighbour", "other_director"):
        body = login(people[who]).get(reverse("visits:my_work")).content.decode()
        assert f'data-follow-up="{visit.follow_ups.get().pk}"' not in body, who
        assert f'data-rectification="{inspection.rectifications.get().pk}"' not in body, who
        assert 'data-testid="first"' not in body, who


def test_the_query_count_stays_constant(people, login):
    director, supervisor = people["director"], people["supervisor"]
    Assignment.objects.create(
        user=director, region=region(XINGCHENG), role=Role.CHILD_DIRECTOR, start_date=START
    )
    client = login(director)
    danger_visit(director, registered(make_child(director, name="一")))
    rectification(supervisor, ZHIDA, today() + DAY)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("visits:my_work")).status_code == 200
        return len(ctx.captured_queries)

    count()  # warm the content-type cache and the session
    before = count()
    for i in range(4):
        danger_visit(director, registered(make_child(director, XINGCHENG, name=f"孩{i}")))
        due(make_child(director, name=f"童{i}"), today() - DAY, today() + 5 * DAY)
        rectification(supervisor, XINGCHENG, today() + i * DAY, today() + 30 * DAY)
    make_user(Role.CHILD_DIRECTOR, ZHIDA)  # another director of the village changes nothing
    assert count() == before


def test_my_work_offers_the_registration_to_those_who_may_register(people, uncertified, login):
    page = login(people["director"]).get(reverse("visits:my_work")).content.decode()
    assert 'data-testid="my-work-register"' in page and reverse("children:create") in page
    gated = login(uncertified["director"]).get(reverse("visits:my_work")).content.decode()
    assert 'data-testid="my-work-register"' not in gated
