"""CareCase benchmark: the deadline/escalation sweep of mandatory reports (issue 5).

    make bench                                     # SQLite in var/bench, or BENCH_DATABASE_URL
    BENCH_REPORTS_CHILDREN=1000000 BENCH_OPEN_REPORTS=10000 .venv/bin/python bench/bench_reports.py

Uses the bench population (bench/population.py: BENCH_REPORTS_CHILDREN active children, default
1,000,000 on PostgreSQL and 100,000 on SQLite, with visits and BENCH_OPEN_REPORTS open reports,
default 10,000, filed over the past 90 days with the emergency response due 24 hours after
filing, so nearly all are overdue). Every bench staff member gets a phone number, so each
escalation also writes its SMS copy. Then times:

- the first escalation sweep (reports.escalation.report_escalate_overdue): every overdue case
  alerts the town supervisor, and those past the district's escalation delay also district
  civil affairs; escalation rows, in-app notifications and SMS deliveries, with the number
  of queries;
- a second sweep at the same moment (idempotent: nothing new, nothing sent twice);
- sending the SMS copies on commit through the channel interface (a recording provider, so
  nothing leaves the machine);
- the open-cases page of district civil affairs (every open case of the district in scope).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import client_for_bench, configure, timed
from figures import record


def reset() -> None:
    """Forget the escalations (and their notifications) of earlier runs, so every run
    measures a first sweep."""
    from notifications.models import Notification
    from reports.models import ReportEscalation

    ReportEscalation.objects.all()._raw_delete(ReportEscalation.objects.db)  # type: ignore[attr-defined]
    old = Notification.objects.filter(link__startswith="/reports/")
    from notifications.models import Delivery

    Delivery.objects.filter(notification__in=old).delete()
    old._raw_delete(Notification.objects.db)  # type: ignore[attr-defined]


def give_phones(district: str) -> None:
    from org.models import User

    for user in User.objects.filter(username__startswith="bench_", phone="").only("pk"):
        User.objects.filter(pk=user.pk).update(phone=f"139{user.pk:08d}")


def main() -> None:
    configure()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone
    from population import ensure_population

    from notifications.channels import RecordingSmsProvider
    from notifications.models import Delivery
    from reports.escalation import report_escalate_overdue
    from reports.models import MandatoryReport, ReportEscalation

    vendor = connection.vendor
    default = 1_000_000 if vendor == "postgresql" else 100_000
    wanted = int(
        os.environ.get("BENCH_REPORTS_CHILDREN", os.environ.get("BENCH_SWEEP_CHILDREN", default))
    )
    open_reports = int(os.environ.get("BENCH_OPEN_REPORTS", "10000"))
    district = os.environ.get("BENCH_DISTRICT", "500109")
    info = ensure_population(children=wanted, open_reports=open_reports, district=district)
    print(info.summary())
    give_phones(district)
    reset()
    settings.SMS_PROVIDER = "notifications.channels.RecordingSmsProvider"
    RecordingSmsProvider.reset()

    reverse("reports:detail", args=[1])  # load the URL conf before timing
    now = timezone.now()
    open_cases = MandatoryReport.objects.open().count()
    overdue = MandatoryReport.objects.open().filter(next_due_at__lt=now).count()
    print()
    print(
        f"Report escalation sweep: {open_cases:,} open cases ({overdue:,} overdue) among "
        f"{info.children:,} children in {district} ({vendor})"
    )
    sends: list[object] = []
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        created = report_escalate_overdue(now=now)
        # The SMS copies leave on commit: keep the callback to time it apart.
        callbacks = list(connection.run_on_commit)
        connection.run_on_commit = []
        sends.extend(callbacks)
    sweep_s = time.perf_counter() - started
    deliveries = Delivery.objects.filter(notification__link__startswith="/reports/").count()
    print(
        f"first sweep: {created:,} escalation alerts "
        f"({ReportEscalation.objects.count():,} escalation rows, {deliveries:,} SMS copies) "
        f"in {sweep_s:.2f} s, {len(captured.captured_queries)} queries"
    )
    record("report escalation, first sweep", sweep_s, "s")
    record("report escalation, first sweep, statements", len(captured.captured_queries), "n")
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as again_queries:
        again = report_escalate_overdue(now=now)
    print(
        f"second sweep: {again:,} new alerts in {time.perf_counter() - started:.2f} s, "
        f"{len(again_queries.captured_queries)} queries (idempotent)"
    )
    started = time.perf_counter()
    for _sids, callback, *_rest in sends:  # type: ignore[misc]
        callback()
    print(
        f"sending the SMS copies on commit: {len(RecordingSmsProvider.sent):,} messages in "
        f"{time.perf_counter() - started:.2f} s (recording provider)"
    )

    client = client_for_bench()
    median_ms, queries, status = timed(client, "/reports/", {}, repeat=5)
    print(f"open-cases page (district civil affairs): {median_ms:.0f} ms, {queries} queries, "
          f"HTTP {status}")  # fmt: skip
    record("open-cases page, district", median_ms, "ms")


if __name__ == "__main__":
    main()
