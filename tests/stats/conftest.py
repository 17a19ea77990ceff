"""A small hand-counted world for the dashboards (today = the real day, so pages and
functions agree):

志达社区 (ZHIDA, director `director`):
  c1 rural left-behind + poverty, phone contact today          -> contacted; contact overdue
  c2 rural left-behind, key child, phone contact today         -> not contacted (key: in person)
                                                                  home visit overdue
  c3 poverty, home visit today                                 -> contacted and home-visited
  c4 orphan, closed (due date forced into the past)            -> counted nowhere
  reports: one "reported" with an overdue expected step, one "assessment", one closed
  inspections: one last year, one today
兴城社区 (XINGCHENG, director `neighbour`): c5 rural left-behind, no visit; one "reported"
新星路社区 (XINXINGLU, town 天生街道, no director): c6 rural left-behind
溶溪镇 (秀山县): c7, out of every 北碚区 user's scope
"""

from __future__ import annotations

import datetime
import uuid
from types import SimpleNamespace

import pytest

from children.models import Child
from core import clock as app_clock
from reports.models import MandatoryReport, Stage
from tests.factories import CHENGUANG, XINGCHENG, XINXINGLU, ZHIDA, make_child, region
from visits import services as visit_services
from visits.models import Inspection


def backdate(child: Child, days: int = 400) -> Child:
    at = app_clock.now() - datetime.timedelta(days=days)
    Child.objects.filter(pk=child.pk).update(created_at=at)
    child.refresh_from_db()
    return child


def visit(user, child, kind, day):
    visit_services.visit_record(
        by=user,
        child=child,
        values={"kind": kind, "visit_date": day, "seen": "祖父" if kind == "home_visit" else ""},
        today=app_clock.today(),
        client_uuid=uuid.uuid4(),
    )


def report(user, village_code, stage=Stage.REPORTED, due=None, child=None):
    now = app_clock.now()
    return MandatoryReport.objects.create(
        child=child,
        child_description="" if child else "一名男孩",
        village=region(village_code),
        region_code=village_code,
        situations=["domestic_violence"],
        found_at=now,
        reporter=user,
        stage=stage,
        stage_since=now,
        next_due_at=due,
    )


def inspect(user, village_code, day):
    from core.calendar import quarter_of

    return Inspection.objects.create(
        village=region(village_code),
        region_code=village_code,
        supervisor=user,
        inspected_on=day,
        quarter=quarter_of(day),
    )


@pytest.fixture
def world(people):
    today = app_clock.today()
    now = app_clock.now()
    yesterday = today - datetime.timedelta(days=1)
    civil, director = people["civil"], people["director"]
    c1 = backdate(make_child(civil, ZHIDA, name="甲", categories=["rural_left_behind", "poverty"]))
    c2 = backdate(make_child(civil, ZHIDA, name="乙", psychological_concern=True))
    c3 = backdate(make_child(civil, ZHIDA, name="丙", categories=["poverty"]))
    c4 = backdate(make_child(civil, ZHIDA, name="丁", categories=["orphan"]))
    c5 = backdate(make_child(civil, XINGCHENG, name="戊"))
    c6 = backdate(make_child(civil, XINXINGLU, name="己"))
    c7 = backdate(make_child(people["other_civil"], CHENGUANG, name="庚"))
    visit(director, c1, "phone", today)
    visit(director, c2, "phone", today)
    visit(director, c3, "home_visit", today)
    Child.objects.filter(pk=c4.pk).update(
        status="closed", close_reason="other", closed_on=today, next_contact_due=None
    )
    # Due dates forced so each overdue figure has a known answer.
    Child.objects.filter(region_code__startswith="500").update(
        next_contact_due=today + datetime.timedelta(days=20),
        next_home_visit_due=today + datetime.timedelta(days=60),
    )
    Child.objects.filter(pk=c1.pk).update(next_contact_due=yesterday)
    Child.objects.filter(pk=c2.pk).update(next_home_visit_due=yesterday)
    Child.objects.filter(pk=c4.pk).update(next_contact_due=yesterday)
    r1 = report(director, ZHIDA, Stage.REPORTED, due=now - datetime.timedelta(hours=1), child=c1)
    r2 = report(director, ZHIDA, Stage.ASSESSMENT, due=now + datetime.timedelta(days=1))
    report(director, ZHIDA, Stage.CLOSED)
    r4 = report(people["neighbour"], XINGCHENG, Stage.REPORTED)
    report(people["other_director"], CHENGUANG, Stage.REPORTED)
    inspect(people["supervisor"], ZHIDA, today - datetime.timedelta(days=365))
    last = inspect(people["supervisor"], ZHIDA, today)
    return SimpleNamespace(
        today=today,
        now=now,
        children=[c1, c2, c3, c4, c5, c6, c7],
        reports=[r1, r2, r4],
        last_inspection=last,
    )
