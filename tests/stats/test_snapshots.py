"""The nightly snapshot (one row per region and day, idempotent) and the 12-month history."""

from __future__ import annotations

import datetime

import pytest

from core import clock as app_clock
from core.regions import Level
from core.scoping import get_scope
from org.models import Region
from stats import history, services
from stats.dashboard import area_dashboard
from stats.models import RegionSnapshot
from stats.tasks import snapshot_regions as snapshot_task
from tests.clock import add_months
from tests.factories import BEIBEI, JINGGUAN, ZHIDA, region

from .conftest import backdate, visit

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_snapshot_is_idempotent(people, world):
    regions = Region.objects.filter(level__in=[Level.DISTRICT, Level.TOWN, Level.VILLAGE])
    written = services.snapshot_regions(today=world.today, now=world.now)
    assert written == regions.count()
    assert snapshot_task() == written  # the task: same day, same rows rewritten
    assert RegionSnapshot.objects.filter(taken_at__isnull=False).count() == regions.count()
    assert RegionSnapshot.objects.filter(date=world.today).values("region").distinct().count() == (
        regions.count()
    )


def test_snapshot_figures_match_the_dashboard(people, world):
    services.snapshot_regions(today=world.today, now=world.now)
    for code, user in ((ZHIDA, people["director"]), (JINGGUAN, people["supervisor"]),
                       (BEIBEI, people["civil"])):  # fmt: skip
        stored = RegionSnapshot.objects.get(region__code=code, date=world.today).figures
        live = area_dashboard(user, region(code), world.today, world.now).total.figures
        for key, value in stored.items():
            assert live[key] == value, (code, key)
    zhida = RegionSnapshot.objects.get(region__code=ZHIDA, date=world.today)
    assert zhida.figures["contacted"] == 2


def test_snapshots_are_scoped(people, world):
    services.snapshot_regions(today=world.today, now=world.now)
    seen = RegionSnapshot.objects.visible_to(people["supervisor"])
    assert seen.exists()
    assert all(s.region.code.startswith(JINGGUAN[:9]) for s in seen.select_related("region"))


def test_history_reads_snapshots_then_visits(people, world):
    today = world.today
    last_month = add_months(today.replace(day=1), -1)
    two_ago = add_months(today.replace(day=1), -2)
    town = region(JINGGUAN)
    # Last month from a snapshot (the month's last one wins).
    RegionSnapshot.objects.create(
        region=town, date=last_month, figures={"total": 10, "contacted": 1}
    )
    RegionSnapshot.objects.create(
        region=town, date=last_month + datetime.timedelta(days=3),
        figures={"total": 10, "contacted": 4},
    )  # fmt: skip
    # Two months ago from the visit dates: one of the four active children contacted.
    c1 = backdate(world.children[0], days=400)
    visit(people["director"], c1, "phone", two_ago + datetime.timedelta(days=2))
    scope = get_scope(people["supervisor"])
    live = area_dashboard(people["supervisor"], town, today, app_clock.now()).total.figures
    months = history.compliance_history(scope, town, today, live)
    assert len(months) == 12
    by_start = {m.start: m for m in months}
    assert by_start[last_month].source == "snapshot" and by_start[last_month].month_pct == 40.0
    assert by_start[two_ago].source == "visits"
    assert (by_start[two_ago].contacted, by_start[two_ago].total) == (1, 4)
    assert months[-1].source == "live" and months[-1].month_pct == 50.0


def test_history_excludes_key_children_contacted_remotely(people, world):
    two_ago = add_months(world.today.replace(day=1), -2)
    c2 = world.children[1]  # a key child: a phone call is not a contact (R15)
    visit(people["director"], c2, "phone", two_ago)
    months = history.compliance_history(
        get_scope(people["director"]), region(ZHIDA), world.today, {"total": 3, "contacted": 2}
    )
    assert {m.start: m for m in months}[two_ago].contacted == 0


def test_beat_schedules_the_snapshot(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "stats.tasks.snapshot_regions" in tasks
