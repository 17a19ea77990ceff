"""CareCase benchmark: the statistics dashboards (stats) of a district, a town and a village.

    make bench                                   # part of the bench target
    BENCH_STATS_CHILDREN=1000000 BENCH_DATABASE_URL=postgres://... \
        .venv/bin/python bench/bench_stats.py

Fills (or reuses) the bench population (bench/population.py: BENCH_STATS_CHILDREN active
children, by default population.py's own: 1,000,000 on PostgreSQL, 100,000 on SQLite; ~12
visits each, open mandatory reports) in the bench database (SQLite in var/bench, or
BENCH_DATABASE_URL), then, signed in as the district's civil-affairs staff, renders through
django.test.Client (middleware, view, template):

- the district dashboard, the dashboard of its busiest town and of that town's busiest
  village: median of BENCH_REPEAT runs (default 5) after one warm-up, and the queries of one;
- first with no snapshot at all: no dashboard computes live (issue 18); the page asks for
  its district's snapshot, which with the bench's eager tasks is taken in the request, so
  this pass times the refresh as a page would trigger it (BENCH_STATS_SKIP_LIVE=1 skips it);
  above BENCH_STATS_LIVE_REPEAT_ABOVE children (default 200,000) a single run;
- the snapshot task's first run (every village, town and district, and the trend's earlier
  months computed once from the visit dates), then a later run (what it costs every
  STATS_SNAPSHOT_MINUTES);
- then with 11 month-end snapshots (copies of today's figures dated at the end of each
  earlier month, standing in for a year of runs): every dashboard reads today's figures
  from the fresh snapshot ("figures as of HH:MM") and the trend from snapshots.

Each figure is printed with the load average (the machine may be shared).

Target (issue 7): each dashboard under 500 ms at district scale (1,000,000 children).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from core.calendar import add_months
from core.regions import prefix_code, town_prefix

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import USERNAME, configure, pad
from figures import record

TARGET_MS = 500


def timed(client: Any, path: str, repeat: int) -> tuple[float, int, int]:
    """Median milliseconds of `repeat` GETs after a warm-up, the queries of one, the status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    queries = len(captured.captured_queries)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), queries, response.status_code


def busiest(prefix: str, length: int) -> str:
    from django.db.models import Count
    from django.db.models.functions import Substr

    from children.models import Child

    row = (
        Child.objects.filter(region_code__startswith=prefix, status="active")
        .annotate(area=Substr("region_code", 1, length))
        .values("area")
        .annotate(n=Count("pk"))
        .order_by("-n", "area")
        .first()
    )
    if row is None:
        raise SystemExit("No children to measure.")
    return prefix_code(str(row["area"]))


def month_end_snapshots(today: Any) -> int:
    """Copies of today's snapshots dated at the end of each of the 11 earlier months."""
    import datetime

    from stats.models import RegionSnapshot

    todays = list(RegionSnapshot.objects.filter(date=today).values_list("region_id", "figures"))
    rows = []
    for back in range(1, 12):
        day = add_months(today.replace(day=1), -back + 1) - datetime.timedelta(days=1)
        rows += [RegionSnapshot(region_id=r, date=day, figures=f) for r, f in todays]
    RegionSnapshot.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["region", "date"],
        update_fields=["figures"],
    )
    return len(rows)


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    live_above = int(os.environ.get("BENCH_STATS_LIVE_REPEAT_ABOVE", "200000"))
    configure()
    from django.db import connection

    # The population bench/population.py builds by default (1,000,000 on PostgreSQL, 100,000 on
    # SQLite): asking for another size would shrink or grow the shared population.
    default = 1_000_000 if connection.vendor == "postgresql" else 100_000
    wanted = int(os.environ.get("BENCH_STATS_CHILDREN") or default)
    from django.test import Client
    from django.utils import timezone
    from population import ensure_population

    from children.models import Child
    from org.models import Region, User
    from stats.models import RegionSnapshot
    from stats.services import snapshot_regions

    info = ensure_population(children=wanted, open_reports=min(10_000, wanted // 100), verbose=True)
    district = prefix_code(info.district)
    town = busiest(info.district, 9)
    village = busiest(town_prefix(town), 12)
    names = dict(
        Region.objects.filter(code__in=[district, town, village]).values_list("code", "name")
    )
    counts = {
        code: Child.objects.filter(region_code__startswith=code[:length], status="active").count()
        for code, length in ((district, 6), (town, 9), (village, 12))
    }
    client = Client()
    client.force_login(User.objects.get(username=USERNAME))
    today = timezone.localdate()
    print()
    print(
        f"Dashboards on {connection.vendor}: {info.children:,} active children in {district}, "
        f"median of {repeat} runs (target < {TARGET_MS} ms)"
    )

    def measure(title: str, runs: int, figure: str) -> None:
        print(f"\n{title}")
        for level, code in (("district", district), ("town", town), ("village", village)):
            median, queries, status = timed(client, f"/stats/area/{code}/", runs)
            label = f"{level} {names.get(code, code)} ({counts[code]:,} children)"
            flag = "" if status == 200 else f"  HTTP {status}"
            verdict = "ok" if median < TARGET_MS else "over target"
            print(
                f"  {pad(label, 46)} {median:8.1f} ms  {queries:3d} queries  {verdict}{flag}"
                f"  ({load()})"
            )
            record(f"{level} dashboard ({'busiest ' if level != 'district' else ''}{level}), "
                   f"{figure}", median, "ms")  # fmt: skip

    live_runs = repeat if info.children <= live_above else 1
    RegionSnapshot.objects.all().delete()
    if os.environ.get("BENCH_STATS_SKIP_LIVE") != "1":
        measure(
            f"Without snapshots (all live, trend months from visit dates; "
            f"{f'median of {live_runs}' if live_runs > 1 else 'one run'}):",
            live_runs,
            "no snapshot",
        )
    RegionSnapshot.objects.all().delete()
    for run in ("first run, with the trend's months from the visits", "a later run"):
        started = time.perf_counter()
        written = snapshot_regions(today=today, now=timezone.now())
        elapsed = time.perf_counter() - started
        print(f"\nSnapshot task, {run}: {written:,} regions in {elapsed:.2f} s ({load()})")
        record(f"snapshot task, {run.split(',')[0]}", elapsed, "s")
    month_end_snapshots(today)
    measure(
        f"With a year of snapshots (every level: today's figures from the fresh snapshot, "
        f"trend from snapshots; median of {repeat}):",
        repeat,
        "with snapshots",
    )


if __name__ == "__main__":
    main()
