"""No dashboard computes its figures live: village, town and district dashboards read the
area's latest snapshot (taken every STATS_SNAPSHOT_MINUTES, on deploy, and for one district on
request) and say when it was taken. A snapshot that is missing, stale or from an earlier day
is shown as it is while a refresh of its district is queued (once per interval); with no
worker (eager tasks, the test settings' default) the refresh runs at once."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import clock as app_clock
from core.scoping import get_scope
from stats import history, services
from stats.dashboard import area_dashboard
from stats.figures import FRESH_FACTOR, empty_figures, stored_village_figures, village_figures
from stats.models import RegionSnapshot
from stats.tasks import snapshot_district
from tests.factories import BEIBEI, JINGGUAN, TIANSHENG, ZHIDA, make_child, region

from .conftest import backdate, visit

pytestmark = pytest.mark.django_db
AREAS = (("civil", BEIBEI), ("supervisor", JINGGUAN), ("director", ZHIDA))


def minutes_ago(minutes: float) -> datetime.datetime:
    return app_clock.now() - datetime.timedelta(minutes=minutes)


@pytest.fixture
def no_worker_inline(settings):
    """As in production: tasks go to a worker (never run in the request)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    yield
    cache.clear()


def live_total(user, code, today, now):
    """The figures computed live (what the snapshot must equal), summed over the villages."""
    figures = village_figures(get_scope(user), region(code).prefix, today, now)
    return sum(f["total"] for f in figures.values())


@pytest.mark.parametrize(("who", "code"), AREAS)
def test_fresh_snapshot_gives_the_live_figures_and_its_time(people, world, settings, who, code):
    settings.STATS_SNAPSHOT_MINUTES = 15
    taken = minutes_ago(10)
    services.snapshot_regions(today=world.today, now=taken)
    user = people[who]
    scope, area = get_scope(user), region(code)
    with CaptureQueriesContext(connection) as queries:
        stored = stored_village_figures(scope, area, world.today, app_clock.now())
    assert len(queries) == 1
    assert stored.fresh and stored.taken_at == taken
    live = village_figures(get_scope(user), region(code).prefix, world.today, taken)
    assert stored.by_village.keys() >= live.keys()
    assert {k: v for k, v in stored.by_village.items() if v != live.get(k, empty_figures())} == {}
    dashboard = area_dashboard(user, region(code), world.today, app_clock.now())
    assert dashboard.as_of == taken and dashboard.fresh
    assert dashboard.total.figures["total"] == live_total(user, code, world.today, taken) > 0


def test_every_level_lags_until_the_next_run(people, world):
    services.snapshot_regions(today=world.today, now=minutes_ago(5))
    before = {
        code: area_dashboard(people[who], region(code), world.today, app_clock.now())
        for who, code in AREAS
    }
    child = backdate(make_child(people["civil"], ZHIDA, name="新来", categories=["poverty"]))
    visit(people["civil"], child, "home_visit", world.today)
    for who, code in AREAS:  # the snapshot's figures, the village's too (the page says "as of")
        same = area_dashboard(people[who], region(code), world.today, app_clock.now())
        assert same.total.figures["total"] == before[code].total.figures["total"], code
    services.snapshot_regions(today=world.today, now=app_clock.now())
    for who, code in AREAS:
        after = area_dashboard(people[who], region(code), world.today, app_clock.now())
        assert after.total.figures["total"] == before[code].total.figures["total"] + 1
        assert after.total.figures["home_visited"] == before[code].total.figures["home_visited"] + 1


def _stale(age: str, today: datetime.date) -> None:
    if age == "stale":
        services.snapshot_regions(today=today, now=minutes_ago(FRESH_FACTOR * 15 + 1))
    elif age == "yesterday":
        services.snapshot_regions(today=today - datetime.timedelta(days=1), now=minutes_ago(1))
    elif age == "future":  # a clock ahead of ours: never read
        services.snapshot_regions(today=today, now=app_clock.now() + datetime.timedelta(1))


@pytest.mark.parametrize("age", ["stale", "yesterday", "future", "none"])
@pytest.mark.parametrize(("who", "code"), AREAS)
def test_not_fresh_is_shown_as_it_is_and_one_refresh_is_queued(
    people, world, settings, no_worker_inline, django_capture_on_commit_callbacks, age, who, code
):
    settings.STATS_SNAPSHOT_MINUTES = 15
    _stale(age, world.today)
    # Distort the stored figures: the dashboard shows what is stored, never a live count.
    RegionSnapshot.objects.update(figures={"total": 999})
    user = people[who]
    with django_capture_on_commit_callbacks() as callbacks:
        first = area_dashboard(user, region(code), world.today, app_clock.now())
        again = area_dashboard(user, region(code), world.today, app_clock.now())
    assert not first.fresh and not again.fresh
    assert len(callbacks) == 1  # queued once per interval and district
    if age in ("stale", "yesterday"):
        assert first.as_of is not None
        stored = stored_village_figures(get_scope(user), region(code), world.today, app_clock.now())
        assert first.total.figures["total"] == 999 * len(stored.by_village) > 0
    else:
        assert first.as_of is None
        assert first.total.figures["total"] == 0
    # What the worker runs: the district's snapshot, after which the dashboard is fresh.
    snapshot_district(BEIBEI[:6])
    fresh = area_dashboard(user, region(code), world.today, app_clock.now())
    assert fresh.fresh and fresh.as_of is not None
    assert fresh.total.figures["total"] == live_total(user, code, world.today, app_clock.now())


def test_with_no_worker_the_refresh_runs_at_once(people, world, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER
    _stale("stale", world.today)
    RegionSnapshot.objects.update(figures={"total": 999})
    dashboard = area_dashboard(people["supervisor"], region(JINGGUAN), world.today, app_clock.now())
    assert dashboard.fresh
    assert dashboard.total.figures["total"] == live_total(
        people["supervisor"], JINGGUAN, world.today, app_clock.now()
    )


def test_a_refresh_covers_only_its_district(people, world):
    services.snapshot_regions(today=world.today, now=minutes_ago(1), prefix=BEIBEI[:6])
    codes = set(RegionSnapshot.objects.values_list("region__code", flat=True))
    assert codes and all(code.startswith(BEIBEI[:6]) for code in codes)
    assert region(BEIBEI).pk in set(RegionSnapshot.objects.values_list("region_id", flat=True))


def test_an_area_partly_in_scope_sums_only_the_villages_in_scope(people, world):
    services.snapshot_regions(today=world.today, now=minutes_ago(1))
    scope = get_scope(people["director"])  # their village only
    got = stored_village_figures(scope, region(JINGGUAN), world.today, app_clock.now())
    assert set(got.by_village) == {ZHIDA}
    scope = get_scope(people["supervisor"])
    got = stored_village_figures(scope, region(JINGGUAN), world.today, app_clock.now())
    assert got.by_village and all(code.startswith(JINGGUAN[:9]) for code in got.by_village)
    assert not stored_village_figures(
        scope, region(TIANSHENG), world.today, app_clock.now()
    ).by_village


def test_page_and_api_say_as_of(login, people, world):
    taken = minutes_ago(3)
    services.snapshot_regions(today=world.today, now=taken)
    for who, code in AREAS:
        text = login(people[who]).get(reverse("stats:area", args=[code])).content.decode()
        assert 'data-testid="as-of" data-fresh="1"' in text
        assert f"{timezone.localtime(taken):%H:%M}" in text
    client = APIClient()
    client.force_authenticate(people["supervisor"])
    body = client.get(f"/api/v1/stats/{JINGGUAN}/").json()
    assert datetime.datetime.fromisoformat(body["figures_as_of"]) == taken
    assert body["figures_fresh"] is True
    assert body["history"][-1]["month_pct"] == body["area"]["figures"]["month_pct"]


def test_page_says_stale_and_first_time(login, people, world, no_worker_inline):
    page = login(people["supervisor"]).get(reverse("stats:area", args=[JINGGUAN]))
    assert 'data-testid="as-of" data-fresh="0"' in page.content.decode()
    assert "首次生成" in page.content.decode()
    services.snapshot_regions(today=world.today - datetime.timedelta(days=1), now=minutes_ago(1))
    page = login(people["supervisor"]).get(reverse("stats:area", args=[JINGGUAN]))
    assert "正在更新" in page.content.decode()


def test_snapshot_out_of_scope_is_404(people, world):
    services.snapshot_regions(today=world.today, now=minutes_ago(1))
    client = APIClient()
    client.force_authenticate(people["supervisor"])
    assert client.get(f"/api/v1/stats/{TIANSHENG}/").status_code == 404


@pytest.mark.parametrize(("who", "code"), AREAS)
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
    assert response.status_code == 200 and 'data-fresh="1"' in response.content.decode()
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) <= 20


def test_trend_months_without_a_snapshot_are_stored_once_from_the_visits(people, world):
    scope = get_scope(people["civil"])
    starts = history.month_starts(world.today)[:-1]
    expected = history.visits_by_village(scope, BEIBEI[:6], starts)
    services.snapshot_regions(today=world.today, now=minutes_ago(1))
    backfilled = RegionSnapshot.objects.filter(taken_at__isnull=True)
    district = backfilled.filter(region=region(BEIBEI))
    assert sorted(district.values_list("date", flat=True)) == [history.month_end(s) for s in starts]
    for row in district:
        month = expected[row.date.replace(day=1)]
        assert row.figures["total"] == sum(f["total"] for f in month.values())
        assert row.figures["contacted"] == sum(f["contacted"] for f in month.values())
    count = backfilled.count()
    services.snapshot_regions(today=world.today, now=minutes_ago(0.5))
    assert RegionSnapshot.objects.filter(taken_at__isnull=True).count() == count
    months = history.compliance_history(
        scope, region(BEIBEI), world.today, {"contacted": 1, "total": 2}
    )
    assert [m.source for m in months] == ["visits"] * 11 + ["live"]
    # Never read as the figures of a moment.
    RegionSnapshot.objects.filter(taken_at__isnull=False).delete()
    assert (
        stored_village_figures(scope, region(BEIBEI), world.today, app_clock.now()).taken_at is None
    )


def test_deploy_command(people, world, capsys):
    call_command("snapshot_regions", "--district", BEIBEI[:6])
    assert RegionSnapshot.objects.filter(region=region(BEIBEI), date=world.today).exists()
    assert "regions snapshotted" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("snapshot_regions", "--district", "5001")
    call_command("snapshot_regions")
    assert (
        RegionSnapshot.objects.filter(date=world.today)
        .exclude(region__code__startswith=BEIBEI[:6])
        .exists()
    )
