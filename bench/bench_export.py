"""CareCase benchmark: the statistics workbook (stats.workbook) of a whole district.

    make bench                                   # part of the bench target
    BENCH_EXPORT_CHILDREN=1000000 .venv/bin/python bench/bench_export.py

Fills (or reuses) the bench population (bench/population.py: BENCH_EXPORT_CHILDREN active
children, by default population.py's own: 1,000,000 on PostgreSQL, 100,000 on SQLite; with
~12 visits each and open mandatory reports) in the bench database (SQLite in var/bench, or
BENCH_DATABASE_URL), then builds the full statistics workbook of the district, and of its
busiest town, as the district's civil-affairs staff.
Each build runs in a fresh subprocess so ru_maxrss is that build's peak memory; the time is
the median of BENCH_REPEAT builds (default 3). BENCH_EXPORT_AS_IS=1 measures the bench
database as it is, without building or topping up the population. The number of queries of
one build is printed too (it does not depend on the data). Targets (issue 7): within 2 minutes
and under 300 MB at 1,000,000 children.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import USERNAME, configure, max_rss_mb
from figures import record

TIME_TARGET_S = 120
MEMORY_TARGET_MB = 300


def build_in_this_process(area_code: str) -> dict[str, Any]:
    """Build one workbook of `area_code` (called in a subprocess)."""
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from org.models import Region, User
    from stats.workbook import build_statistics_workbook

    user = User.objects.get(username=USERNAME)
    area = Region.objects.get(code=area_code)
    today = timezone.localdate()
    # Warm imports and connections on a tiny build (a date before anyone was registered).
    with tempfile.TemporaryFile() as out:
        build_statistics_workbook(user=user, area=area, on=datetime.date(2000, 1, 1), out=out)
    baseline = max_rss_mb()
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(percent: int, step: str) -> None:
        steps.append((step, time.perf_counter() - started))

    with tempfile.TemporaryFile() as out, CaptureQueriesContext(connection) as queries:
        result = build_statistics_workbook(
            user=user, area=area, on=today, out=out, progress=progress
        )
        elapsed = time.perf_counter() - started
        size = out.tell()
    per_step = []
    previous = 0.0
    for step, at in steps:
        per_step.append((step, round(at - previous, 2)))
        previous = at
    return {
        "seconds": elapsed,
        "baseline_mb": baseline,
        "peak_mb": max_rss_mb(),
        "sheets": result.sheets,
        "rows": result.rows,
        "bytes": size,
        "queries": len(queries.captured_queries),
        "steps": per_step,
    }


def measure(area_code: str) -> dict[str, Any]:
    completed = subprocess.run(  # noqa: S603 - this very script, with fixed arguments
        [sys.executable, str(Path(__file__).resolve()), "--build", area_code],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"error": (completed.stderr or completed.stdout).strip()[-800:]}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        configure()
        print(json.dumps(build_in_this_process(sys.argv[2])))
        return
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    configure()
    from django.db import connection

    # The population bench/population.py builds by default (1,000,000 on PostgreSQL, 100,000 on
    # SQLite): asking for another size would shrink or grow the shared population.
    default = 1_000_000 if connection.vendor == "postgresql" else 100_000
    wanted = int(os.environ.get("BENCH_EXPORT_CHILDREN") or default)
    from django.db.models import Count
    from django.db.models.functions import Substr
    from population import ensure_population

    from children.models import Child
    from core.regions import district_prefix, prefix_code

    if os.environ.get("BENCH_EXPORT_AS_IS"):
        # Measure the bench database as it is (e.g. scaled up by SQL), without topping it up.
        from population import DEFAULT_DISTRICT, PopulationInfo

        from visits.models import Visit

        prefix = district_prefix(os.environ.get("BENCH_DISTRICT", DEFAULT_DISTRICT))
        info = PopulationInfo(district=prefix)
        in_district = Child.objects.filter(region_code__startswith=prefix)
        info.children = in_district.filter(status="active").count()
        info.visits = Visit.objects.filter(child__region_code__startswith=prefix).count()
    else:
        info = ensure_population(
            children=wanted, open_reports=min(10_000, wanted // 100), verbose=True
        )
    district = prefix_code(info.district)
    busiest = (
        Child.objects.filter(region_code__startswith=info.district)
        .annotate(town=Substr("region_code", 1, 9))
        .values("town")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    print()
    print(
        f"Statistics workbook: {info.children:,} active children in {district} "
        f"({connection.vendor}), {info.visits:,} visits"
    )
    areas = [("district", district)]
    if busiest is not None:
        areas.append((f"busiest town ({busiest['n']:,} children)", prefix_code(busiest["town"])))
    failed = False
    for label, code in areas:
        runs = [measure(code) for _ in range(repeat)]
        errors = [r for r in runs if "error" in r]
        if errors:
            print(f"{label}: FAILED\n{errors[0]['error']}")
            failed = True
            continue
        median = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        first = runs[0]
        verdict = "ok" if median <= TIME_TARGET_S and peak <= MEMORY_TARGET_MB else "OVER TARGET"
        print(
            f"{label}: median {median:.2f} s of {repeat}, peak {peak:.0f} MB "
            f"(baseline {first['baseline_mb']:.0f} MB), {first['sheets']} sheets, "
            f"{first['rows']:,} rows, {first['bytes'] / 1024:.0f} KiB, "
            f"{first['queries']} queries [{verdict}]"
        )
        print("  per sheet (s): " + ", ".join(f"{s} {t}" for s, t in first["steps"]))
        area = label.split(" (")[0]
        record(f"statistics workbook, {area}", median, "s")
        record(f"statistics workbook, {area}, peak", peak, "MB")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
