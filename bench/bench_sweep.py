"""CareCase benchmark: the daily reminder sweep and in-app delivery.

    make bench                                  # SQLite in var/bench, or BENCH_DATABASE_URL
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecase_bench \
        .venv/bin/python bench/bench_sweep.py   # 1,000,000 children on PostgreSQL
    BENCH_SWEEP_CHILDREN=100000 …               # another size
    BENCH_SWEEP_SPREAD=uniform …                # the old spread: due dates -60..+40 days

The population comes from bench/population.py (ensure_population: BENCH_SWEEP_CHILDREN active
children, default 1,000,000 on PostgreSQL and 100,000 on SQLite, ~12 visits each over the past
year, due dates recomputed from them by the real cadence rule, staff for every village, town
and the district, 10,000 open mandatory reports); it is reused when it was built today, else
its visits are rebuilt. Then it times:

- one hand-written SQL query selecting the children of every level (what is due soon or
  overdue), and one selecting the very rows the sweep inserts (both due fields x 3 levels
  joined to the active staff), each the best of two runs;
- the sweep (notifications.sweep.sweep: per rule group one INSERT … SELECT reading the
  children once for all levels, on NOTIFICATIONS_SWEEP_WORKERS connections) and prints
  both and the ratio (target: sweep under 30 s and within 2x of the children query);
- a second sweep the same day (creates nothing);
- the daily sweep in steady state: with yesterday's sweep already run, today's (only the rows
  that became owed today), and its ratio to the children query;
- delivering 100,000 reminders as in-app notifications (target: under 60 s);
- the median latency of POST /api/v1/visits/.

BENCH_VIA_PYTHON=1 also times the bulk_create(ignore_conflicts=True) variant of the sweep.
With BENCH_SWEEP_SPREAD=uniform the due dates are restored by the cadence rule at the end.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import configure
from figures import record
from population import ensure_population, staff

__all__ = ["staff"]  # re-exported: other benches imported it from here

DELIVER = 100_000


def spread_due_dates(today: datetime.date) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE children_child SET status = 'active', "
                "next_contact_due = %s::date + ((id %% 100) - 60)::int, "
                "next_home_visit_due = %s::date + (((id * 7) %% 100) - 60)::int",
                [today, today],
            )
            cursor.execute("ANALYZE children_child")
            # Fresh statistics for the staff just created (autovacuum would do it in time):
            # without them the planner expects one user and rescans the children per user.
            for table in ("org_user", "org_assignment", "org_region"):
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute(
                "UPDATE children_child SET status = 'active', "
                "next_contact_due = date(%s, ((id % 100) - 60) || ' days'), "
                "next_home_visit_due = date(%s, (((id * 7) % 100) - 60) || ' days')",
                [today.isoformat(), today.isoformat()],
            )
            cursor.execute("ANALYZE children_child")


def restore_due_dates(district: str) -> None:
    """Back to the due dates the visits give (after the uniform spread), by the real rule."""
    from django.db import connection

    from core.regions import district_code
    from org.models import Region
    from visits.cadence import apply_rule_to_district

    apply_rule_to_district(Region.objects.get(code=district_code(district)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE children_child")


def reset() -> None:
    from notifications.models import Delivery, Notification, Reminder
    from reports.models import ReportEscalation

    # bench_reports (run after this one by `make bench`) leaves escalations that point at their
    # alert notifications: a second `make bench` on the same population clears them first.
    ReportEscalation.objects.all()._raw_delete(ReportEscalation.objects.db)  # type: ignore[attr-defined]
    Delivery.objects.all().delete()
    Reminder.objects.all()._raw_delete(Reminder.objects.db)  # type: ignore[attr-defined]
    Notification.objects.all()._raw_delete(Notification.objects.db)  # type: ignore[attr-defined]


def hand_written(today: datetime.date) -> tuple[float, int]:
    """One SQL query selecting the children the sweep reminds about."""
    from django.db import connection

    horizon = today + datetime.timedelta(days=7)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, region_code, next_contact_due, next_home_visit_due FROM children_child "
            "WHERE status = 'active' AND (next_contact_due <= %s OR next_home_visit_due <= %s)",
            [horizon, horizon],
        )
        rows = len(cursor.fetchall())
    return time.perf_counter() - started, rows


def hand_written_rows(today: datetime.date) -> tuple[float, int]:
    """The fair equivalent of the sweep's selection, written by hand as ONE query: the same
    (child, kind, due date, recipient, level) rows (both due fields, the three levels and the
    join to the active assignments and users), fetched to the client. The sweep also inserts
    them and checks the dedupe key, indexes and foreign keys, which this does not."""
    from django.db import connection

    soon = today + datetime.timedelta(days=7)
    sup = today - datetime.timedelta(days=7)
    dist = today - datetime.timedelta(days=30)
    staff = (
        "SELECT r.code, a.user_id, a.role FROM org_assignment a "
        "JOIN org_region r ON r.id = a.region_id JOIN org_user u ON u.id = a.user_id "
        "WHERE a.start_date <= %(t)s AND (a.end_date IS NULL OR a.end_date > %(t)s) "
        "AND u.is_active AND u.status = 'active'"
    )
    sql = f"""
        WITH s AS ({staff}),
        d AS (SELECT id, region_code, 'contact' AS what, next_contact_due AS due
              FROM children_child WHERE status = 'active' AND next_contact_due <= %(soon)s
              UNION ALL
              SELECT id, region_code, 'visit', next_home_visit_due
              FROM children_child WHERE status = 'active' AND next_home_visit_due <= %(soon)s)
        SELECT d.id, d.what, d.due, s.user_id, 0 FROM d
          JOIN s ON s.code = d.region_code AND s.role = 'child_director'
        UNION ALL
        SELECT d.id, d.what, d.due, s.user_id, 1 FROM d
          JOIN s ON s.code = SUBSTR(d.region_code, 1, 9) || '000' AND s.role = 'supervisor'
          WHERE d.due <= %(sup)s
        UNION ALL
        SELECT d.id, d.what, d.due, s.user_id, 2 FROM d
          JOIN s ON s.code = SUBSTR(d.region_code, 1, 6) || '000000'
               AND s.role = 'civil_affairs'
          WHERE d.due <= %(dist)s
    """  # noqa: S608
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, {"t": today, "soon": soon, "sup": sup, "dist": dist})
        rows = len(cursor.fetchall())
    return time.perf_counter() - started, rows


def visit_create_latency(district: str, requests: int = 50) -> tuple[float, int]:
    """Median latency of POST /api/v1/visits/ through django.test.Client as a certified
    director (a home visit with every finding fine), over `requests` requests."""
    import statistics
    import uuid

    from django.test import Client
    from django.utils import timezone

    from children.models import Child
    from core.regions import district_code, district_prefix
    from org.models import Assignment, Role
    from tests.factories import certify

    assignment = (
        Assignment.objects.filter(
            role=Role.CHILD_DIRECTOR, region__code__startswith=district_prefix(district)
        )
        .select_related("user", "region")
        .order_by("region__code")
        .first()
    )
    if assignment is None:
        return float("nan"), 0
    director = assignment.user
    certify(director, district_code(district))
    child_ids = list(
        Child.objects.filter(region_code=assignment.region.code, status="active")
        .order_by("pk")
        .values_list("pk", flat=True)[:requests]
    )
    client = Client()
    client.force_login(director)
    today = timezone.localdate().isoformat()
    timings = []
    created = 0
    for i in range(requests):
        payload = {
            "client_uuid": str(uuid.uuid4()),
            "child": child_ids[i % len(child_ids)],
            "kind": "home_visit",
            "visit_date": today,
            "seen": "孩子和祖母",
            **dict.fromkeys(("safety", "guardianship", "schooling", "health", "mental"), "fine"),
            "living": "fine",
        }
        started = time.perf_counter()
        response = client.post("/api/v1/visits/", payload, content_type="application/json")
        timings.append(time.perf_counter() - started)
        created += response.status_code == 201
        if response.status_code != 201:
            print(f"  visit refused ({response.status_code}): {response.content.decode()[:300]}")
    return statistics.median(timings), created


def main() -> None:
    configure()
    from django.db import connection
    from django.utils import timezone

    from notifications.delivery import deliver_in_app
    from notifications.models import Reminder, SendStatus
    from notifications.sweep import sweep, workers

    vendor = connection.vendor
    default = 1_000_000 if vendor == "postgresql" else 100_000
    wanted = int(os.environ.get("BENCH_SWEEP_CHILDREN", str(default)))
    district = os.environ.get("BENCH_DISTRICT", "500109")
    uniform = os.environ.get("BENCH_SWEEP_SPREAD", "realistic") == "uniform"
    today = timezone.localdate()
    # Due dates must be today's: rebuild the visits unless they were built today.
    info = ensure_population(children=wanted, district=district, today=today, max_age_days=0)
    print(info.summary())
    if uniform:
        spread_due_dates(today)
    reset()
    print()
    spread = "uniform -60..+40 days" if uniform else "realistic, from the visits"
    print(f"Reminder sweep: {info.children:,} active children in {district} ({vendor}; {spread})")

    query_s, children = hand_written(today)
    started = time.perf_counter()
    result = sweep(today)
    sweep_s = time.perf_counter() - started
    query_s = min(query_s, hand_written(today)[0])
    fair_s, fair_rows = hand_written_rows(today)
    fair_s = min(fair_s, hand_written_rows(today)[0])
    how = (
        f"INSERT ... SELECT ... WHERE NOT EXISTS dedupe key, {workers()} connections"
        if vendor == "postgresql"
        else "INSERT ... SELECT ... ON CONFLICT DO NOTHING, one connection"
    )
    ratio = sweep_s / query_s if query_s else float("inf")
    fair = sweep_s / fair_s if fair_s else float("inf")
    print(
        f"hand-written SQL (the children of every level: one query, due soon or overdue): "
        f"{children:,} children in {query_s:.2f} s"
    )
    print(
        f"hand-written SQL (same rows as the sweep: both due fields x 3 levels joined to "
        f"active staff, fetched, not inserted): {fair_rows:,} rows in {fair_s:.2f} s"
    )
    print(f"sweep ({how}): {result.created:,} reminder rows in {sweep_s:.2f} s (target < 30 s)")
    print(f"ratio sweep / children query: {ratio:.2f}x (target <= 2x)")
    print(f"ratio sweep / same-rows query: {fair:.2f}x")
    record("reminder sweep, first run (empty table)", sweep_s, "s")
    record("reminder sweep, same-rows query", fair_s, "s")
    record("reminder sweep, first run / same-rows query", fair, "x")
    record("reminder sweep, rows created", result.created, "rows")
    started = time.perf_counter()
    again = sweep(today)
    print(f"second sweep: {again.created:,} new rows in {time.perf_counter() - started:.2f} s")

    # The daily run as it happens in production: yesterday's sweep has already created the
    # rows owed yesterday, so today's creates only what became owed today (children entering
    # the due-soon window, falling overdue, crossing an escalation threshold).
    reset()
    sweep(today - datetime.timedelta(days=1))
    started = time.perf_counter()
    daily = sweep(today)
    daily_s = time.perf_counter() - started
    print(
        f"daily sweep (yesterday's already run): {daily.created:,} new rows in {daily_s:.2f} s; "
        f"ratio to the children query: {daily_s / query_s if query_s else float('inf'):.2f}x"
    )
    record("reminder sweep, daily (yesterday's already run)", daily_s, "s")

    if os.environ.get("BENCH_VIA_PYTHON"):
        reset()
        started = time.perf_counter()
        slow = sweep(today, via_python=True)
        print(
            f"sweep via bulk_create: {slow.created:,} rows in {time.perf_counter() - started:.2f} s"
        )

    # Delivery: keep DELIVER reminders pending, one in-app notification each (no digest).
    keep = list(Reminder.objects.order_by("pk").values_list("pk", flat=True)[:DELIVER])
    if keep:
        Reminder.objects.filter(pk__gt=keep[-1]).update(status=SendStatus.SENT)
    started = time.perf_counter()
    delivered = deliver_in_app(threshold=10**9)
    deliver_s = time.perf_counter() - started
    print(
        f"in-app delivery: {delivered.notifications:,} notifications for "
        f"{delivered.reminders:,} reminders in {deliver_s:.2f} s (target < 60 s)"
    )
    record(f"in-app delivery, up to {DELIVER:,} reminders", deliver_s, "s")

    median, created = visit_create_latency(district)
    print(f"visit-create API: median {median * 1000:.1f} ms over 50 POSTs ({created} created)")
    record("visit-create API, median", median * 1000, "ms")
    if uniform:
        restore_due_dates(district)


if __name__ == "__main__":
    main()
