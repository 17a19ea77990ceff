"""CareCase benchmark: the daily reminder sweep and in-app delivery.

    make bench                                  # SQLite in var/bench, or BENCH_DATABASE_URL
    BENCH_SWEEP_CHILDREN=200000 .venv/bin/python bench/bench_sweep.py

Fills the bench database (bench_children.prepare, children.synthetic) with BENCH_SWEEP_CHILDREN
active children in one district (default 1,000,000 on PostgreSQL, 100,000 on SQLite), gives
every village a director, every town a supervisor and the district a civil-affairs officer,
spreads the stored due dates from 60 days overdue to 40 days ahead, then times:

- the sweep (notifications.sweep.sweep: every level's INSERT … SELECT … ON CONFLICT DO NOTHING),
- one hand-written SQL query selecting the same children (what is due soon or overdue),
  and prints both and the ratio (target: sweep under 30 s and within 2x);
- delivering 100,000 reminders as in-app notifications (target: under 60 s).

BENCH_VIA_PYTHON=1 also times the bulk_create(ignore_conflicts=True) variant of the sweep.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import configure, prepare

DELIVER = 100_000


def staff(district_code: str) -> None:
    """A director per village, a supervisor per town, civil affairs for the district."""
    from org.models import Assignment, Region, Role, User
    from org.regions import Level

    roles = {Level.VILLAGE: Role.CHILD_DIRECTOR, Level.TOWN: Role.SUPERVISOR}
    regions = list(Region.objects.filter(code__startswith=district_code[:6]))
    for region in regions:
        role = roles.get(region.level, Role.CIVIL_AFFAIRS if region.level == Level.DISTRICT else "")
        if not role:
            continue
        user, created = User.objects.get_or_create(
            username=f"bench_{role}_{region.code}",
            defaults={"real_name": f"基准{region.name}"},
        )
        if created:
            Assignment.objects.create(
                user=user, region=region, role=role, start_date=datetime.date(2020, 1, 1)
            )


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


def reset() -> None:
    from notifications.models import Delivery, Notification, Reminder

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
    from org.models import Assignment, Role
    from tests.factories import certify

    assignment = (
        Assignment.objects.filter(role=Role.CHILD_DIRECTOR, region__code__startswith=district[:6])
        .select_related("user", "region")
        .order_by("region__code")
        .first()
    )
    if assignment is None:
        return float("nan"), 0
    director = assignment.user
    certify(director, district[:6] + "000000")
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
    return statistics.median(timings), created


def main() -> None:
    configure()
    from django.db import connection
    from django.utils import timezone

    from notifications.delivery import deliver_in_app
    from notifications.models import Reminder, SendStatus
    from notifications.sweep import sweep

    vendor = connection.vendor
    default = 1_000_000 if vendor == "postgresql" else 100_000
    wanted = int(os.environ.get("BENCH_SWEEP_CHILDREN", str(default)))
    district = os.environ.get("BENCH_DISTRICT", "500109")
    info = prepare(district, wanted)
    staff(district)
    today = timezone.localdate()
    spread_due_dates(today)
    reset()
    print()
    print(f"Reminder sweep: {info['children']:,} children in {info['district']} ({vendor})")

    query_s, children = hand_written(today)
    started = time.perf_counter()
    result = sweep(today)
    sweep_s = time.perf_counter() - started
    query_s = min(query_s, hand_written(today)[0])
    fair_s, fair_rows = hand_written_rows(today)
    fair_s = min(fair_s, hand_written_rows(today)[0])
    ratio = sweep_s / query_s if query_s else float("inf")
    fair = sweep_s / fair_s if fair_s else float("inf")
    print(
        f"hand-written SQL (children only: one scan, due soon or overdue): {children:,} "
        f"children in {query_s:.2f} s"
    )
    print(
        f"hand-written SQL (same rows as the sweep: both due fields x 3 levels joined to "
        f"active staff, fetched, not inserted): {fair_rows:,} rows in {fair_s:.2f} s"
    )
    print(
        f"sweep (INSERT ... SELECT ... ON CONFLICT DO NOTHING, dedupe key, indexes): "
        f"{result.created:,} reminder rows in {sweep_s:.2f} s (target < 30 s)"
    )
    print(f"ratio sweep / children-only query: {ratio:.2f}x (target <= 2x)")
    print(f"ratio sweep / same-rows query: {fair:.2f}x")
    started = time.perf_counter()
    again = sweep(today)
    print(f"second sweep: {again.created:,} new rows in {time.perf_counter() - started:.2f} s")

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

    median, created = visit_create_latency(district)
    print(f"visit-create API: median {median * 1000:.1f} ms over 50 POSTs ({created} created)")


if __name__ == "__main__":
    main()
