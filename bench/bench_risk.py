"""CareCase benchmark: risk levels recomputed for a whole district after a rule change
(issue 16, section 2; target: 1,000,000 children in under 60 s, set-based).

    make bench                                   # SQLite in var/bench, or BENCH_DATABASE_URL
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecase_bench \\
        .venv/bin/python bench/bench_risk.py     # 1,000,000 children on PostgreSQL
    BENCH_CHILDREN=100000 …                      # another size

Uses the shared bench population (bench/population.py: BENCH_CHILDREN active children, default
1,000,000 on PostgreSQL and 100,000 on SQLite, ~8% key children, visits, open reports). The
generator writes children without the services, so the bench first gives them their reasons
set-based (untimed): the archive's key reasons, an open report (every open report's child).
Then it times, BENCH_RISK_RUNS times (default 3) each, the median and the worst:

- `children.risk.risk_apply_rule_to_district` with the psychological-concern weight moved
  between 4 and 9, so that every child with that reason changes level each run: one UPDATE of
  the scores, one INSERT … SELECT of the history rows, one UPDATE of the levels;
- the whole save of the district's rule (`visits.services.risk_rule_save`: validation, the
  rule's row and history, the levels, then the visit cadence of every child of the district),
  with its number of queries.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import USERNAME, configure
from figures import record
from population import ensure_population


def seed_reasons(district: str) -> int:
    """Archive and report reasons for the population's children (once; set-based)."""
    from django.db import connection

    from children.models_risk import RiskSignal
    from children.risk import REASONS
    from core.regions import prefix_range

    low, high = prefix_range(district)
    if RiskSignal.objects.filter(child__region_code__range=(low, high)).exists():
        return RiskSignal.objects.filter(child__region_code__range=(low, high)).count()
    as_text = "key_reasons::text" if connection.vendor == "postgresql" else "key_reasons"
    today = "CURRENT_DATE"  # untimed setup data: the database's day will do
    with connection.cursor() as cursor:
        for code in REASONS:
            cursor.execute(
                "INSERT INTO children_risksignal (child_id, source, code, record_id, dated, note) "  # noqa: S608
                f"SELECT id, 'archive', %s, NULL, {today}, '' FROM children_child "
                f"WHERE region_code BETWEEN %s AND %s AND {as_text} LIKE %s",
                [code, low, high, f'%"{code}"%'],
            )
        cursor.execute(
            "INSERT INTO children_risksignal (child_id, source, code, record_id, dated, note) "  # noqa: S608
            f"SELECT r.child_id, 'report', 'open_report', MAX(r.id), {today}, '' "
            "FROM reports_mandatoryreport r JOIN children_child c ON c.id = r.child_id "
            "WHERE r.stage <> 'closed' AND c.region_code BETWEEN %s AND %s GROUP BY r.child_id",
            [low, high],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE children_risksignal")
    return RiskSignal.objects.filter(child__region_code__range=(low, high)).count()


def main() -> None:
    configure()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from children.models import Child
    from children.models_risk import RiskChange, RiskRule
    from children.risk import REASONS, risk_apply_rule_to_district
    from org.models import Region, User
    from visits.services import risk_rule_save

    postgres = connection.vendor == "postgresql"
    default = 1_000_000 if postgres else 100_000
    wanted = int(os.environ.get("BENCH_CHILDREN", default))
    runs = int(os.environ.get("BENCH_RISK_RUNS", "3"))
    info = ensure_population(children=wanted)
    print(info.summary())
    from core.regions import prefix_code

    district = Region.objects.get(code=prefix_code(info.district))
    started = time.perf_counter()
    signals = seed_reasons(info.district)
    print(f"reasons: {signals:,} ({time.perf_counter() - started:.1f} s, untimed setup)")
    children = Child.objects.filter(region_code__startswith=info.district).count()

    def values(weight: int) -> dict[str, int]:
        base = {f"w_{code}": getattr(RiskRule(), f"w_{code}") for code in REASONS}
        base.update(w_psychological=weight, moderate_from=2, elevated_from=4, high_from=8,
                    monthly_home_visit_from=4)  # fmt: skip
        return base

    RiskRule.objects.update_or_create(district=district, defaults=values(4))
    risk_apply_rule_to_district(district)
    recompute: list[float] = []
    changed: list[int] = []
    for i in range(runs):
        RiskRule.objects.filter(district=district).update(w_psychological=9 if i % 2 == 0 else 4)
        with transaction.atomic():
            t = time.perf_counter()
            changed.append(risk_apply_rule_to_district(district))
            recompute.append(time.perf_counter() - t)
    print(
        f"risk recompute, {children:,} children: median {statistics.median(recompute):.2f} s, "
        f"worst {max(recompute):.2f} s, {statistics.median(changed):,.0f} levels changed a run "
        f"(target < 60 s for 1,000,000)"
    )
    record("risk recompute of the district, median", statistics.median(recompute), "s")
    user = User.objects.get(username=USERNAME)
    saves: list[float] = []
    queries = 0
    for i in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            risk_rule_save(by=user, district=district, values=values(9 if i % 2 == 0 else 4))
            saves.append(time.perf_counter() - t)
        queries = len(ctx.captured_queries)
    print(
        f"risk rule save (levels + cadence): median {statistics.median(saves):.2f} s, "
        f"worst {max(saves):.2f} s, {queries} queries"
    )
    print(f"history rows: {RiskChange.objects.filter(cause='rule').count():,}")


if __name__ == "__main__":
    main()
