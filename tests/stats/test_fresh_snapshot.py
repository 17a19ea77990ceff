"""Town and district dashboards read today's figures from a fresh snapshot (taken by the task
every STATS_SNAPSHOT_MINUTES), say when it was taken, and fall back to live figures when the
snapshot is stale, from another day or missing. Villages are always live."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import clock as app_clock
from core.scoping import get_scope
from stats import services
from stats.dashboard import area_dashboard
from stats.figures import FRESH_FACTOR, snapshot_village_figures
from stats.models import RegionSnapshot
from tests.factories import BEIBEI, JINGGUAN, TIANSHENG, ZHIDA, make_child, region

from .conftest import backdate, visit

pytestmark = pytest.mark.django_db


def minutes_ago(minutes: float) -> datetime.datetime:
    return app_clock.now() - datetime.timedelta(minutes=minutes)


def test_fresh_snapshot_gives_the_live_figures_and_its_time(people, world, settings):
    settings.STATS_SNAPSHOT_MINUTES = 15
    live = {
        code: area_dashboard(user, region(code), world.today, app_clock.now())
        for code, user in ((BEIBEI, people["civil"]), (JINGGUAN, people["supervisor"]))
    }
    assert all(d.as_of is None for d in live.values())
    taken = minutes_ago(10)
    services.snapshot_regions(today=world.today, now=taken)
    for code, user in ((BEIBEI, people["civil"]), (JINGGUAN, people["supervisor"])):
        snap = area_dashboard(user, region(code), world.today, app_clock.now())
        assert snap.as_of == taken
        assert snap.total.figures == live[code].total.figures, code
        assert [(r.region.code, r.figures) for r in snap.rows] == [
            (r.region.code, r.figures) for r in live[code].rows
        ]
        # People, coverage and flags stay live and equal.
        assert [len(r.workers) for r in snap.rows] == [len(r.workers) for r in live[code].rows]
        assert snap.total.r2_villages == live[code].total.r2_villages


def test_snapshot_figures_lag_until_the_next_run(people, world):
    services.snapshot_regions(today=world.today, now=minutes_ago(5))
    town = region(JINGGUAN)
    before = area_dashboard(people["supervisor"], town, world.today, app_clock.now())
    child = backdate(make_child(people["civil"], ZHIDA, name="新来", categories=["poverty"]))
    visit(people["civil"], child, "home_visit", world.today)
    # Still the snapshot's figures (the page says "as of"); the village itself is live.
    same = area_dashboard(people["supervisor"], town, world.today, app_clock.now())
    assert same.total.figures["total"] == before.total.figures["total"]
    village = area_dashboard(people["director"], region(ZHIDA), world.today, app_clock.now())
    assert village.as_of is None
    # The next run catches up.
    services.snapshot_regions(today=world.today, now=app_clock.now())
    after = area_dashboard(people["supervisor"], town, world.today, app_clock.now())
    assert after.total.figures["total"] == before.total.figures["total"] + 1
    assert after.total.figures["home_visited"] == before.total.figures["home_visited"] + 1


@pytest.mark.parametrize("age", ["stale", "yesterday", "future", "none"])
def test_falls_back_to_live(people, world, settings, age):
    settings.STATS_SNAPSHOT_MINUTES = 15
    town = region(JINGGUAN)
    live = area_dashboard(people["supervisor"], town, world.today, app_clock.now())
    if age == "stale":
        services.snapshot_regions(today=world.today, now=minutes_ago(FRESH_FACTOR * 15 + 1))
    elif age == "yesterday":
        services.snapshot_regions(
            today=world.today - datetime.timedelta(days=1), now=minutes_ago(1)
        )
    elif age == "future":  # a clock ahead of ours: not trusted
        services.snapshot_regions(today=world.today, now=app_clock.now() + datetime.timedelta(1))
    # Distort the stored figures: a dashboard that used them would show 999.
    RegionSnapshot.objects.update(figures={"total": 999})
    dashboard = area_dashboard(people["supervisor"], town, world.today, app_clock.now())
    assert dashboard.as_of is None
    assert dashboard.total.figures == live.total.figures
    assert dashboard.total.figures["total"] == 4


def test_snapshot_used_only_for_an_area_wholly_in_scope(people, world):
    services.snapshot_regions(today=world.today, now=minutes_ago(1))
    # A director's scope is their village: a town is never read from the snapshot for them.
    scope = get_scope(people["director"])
    assert snapshot_village_figures(scope, region(JINGGUAN), world.today, app_clock.now()) is None
    # The supervisor of 井冠 reads their town from it, and only their town's villages.
    scope = get_scope(people["supervisor"])
    got = snapshot_village_figures(scope, region(JINGGUAN), world.today, app_clock.now())
    assert got is not None
    assert got[0] and all(code.startswith(JINGGUAN[:9]) for code in got[0])
    assert snapshot_village_figures(scope, region(TIANSHENG), world.today, app_clock.now()) is None


def test_page_and_api_say_as_of(login, people, world):
    taken = minutes_ago(3)
    services.snapshot_regions(today=world.today, now=taken)
    page = login(people["supervisor"]).get(reverse("stats:area", args=[JINGGUAN]))
    text = page.content.decode()
    local = timezone.localtime(taken)
    assert 'data-testid="as-of"' in text
    assert f"{local:%H:%M}" in text
    client = APIClient()
    client.force_authenticate(people["supervisor"])
    body = client.get(f"/api/v1/stats/{JINGGUAN}/").json()
    assert datetime.datetime.fromisoformat(body["figures_as_of"]) == taken
    assert body["history"][-1]["month_pct"] == body["area"]["figures"]["month_pct"]
    village = client.get(f"/api/v1/stats/{ZHIDA}/").json()
    assert village["figures_as_of"] is None
    assert 'data-testid="as-of"' not in (
        login(people["director"]).get(reverse("stats:area", args=[ZHIDA])).content.decode()
    )


def test_snapshot_out_of_scope_is_404(people, world):
    services.snapshot_regions(today=world.today, now=minutes_ago(1))
    client = APIClient()
    client.force_authenticate(people["supervisor"])
    assert client.get(f"/api/v1/stats/{TIANSHENG}/").status_code == 404


@pytest.mark.parametrize(("who", "code"), [("civil", BEIBEI), ("supervisor", JINGGUAN)])
def test_query_count_constant_with_snapshot(login, people, world, who, code):
    services.snapshot_regions(today=world.today, now=minutes_ago(1))
    client = login(people[who])
    client.get(reverse("stats:area", args=[code]))  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("stats:area", args=[code])).status_code == 200
    for i in range(3):
        child = backdate(make_child(people["civil"], ZHIDA, name=f"多{i}", categories=["orphan"]))
        visit(people["civil"], child, "home_visit", world.today)
    services.snapshot_regions(today=world.today, now=minutes_ago(0.5))
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("stats:area", args=[code]))
    assert response.status_code == 200 and 'data-testid="as-of"' in response.content.decode()
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) <= 20
