"""The figures of villages, set-based and grouped by the children's 12-digit region code,
rolled up to towns (first 9 digits) and districts (first 6) in memory over the village rows,
never over children: the active children (served, key, visit compliance this month and this
quarter by the rule of visits.selectors.compliance_aggregates, overdue contacts and home
visits), their categories (a child in two categories counts in each; the served total is
distinct), and the open mandatory reports by stage with the overdue expected steps. Three
queries however many children, visits or reports the area holds, the open and overdue
findings of department lists (matching) in a fourth, and the case plans (children who need
one and have none — in the children's query —, approved plans past their review and their
actions past due) in a fifth. The dashboards that show them are in stats.dashboard.

The same village figures, computed for every region at once, are what the snapshot task
stores (stats.services.snapshot_regions, every STATS_SNAPSHOT_MINUTES, on deploy, and for one
district when asked). No dashboard computes them live: a village, town or district dashboard
reads its villages' figures from the area's latest snapshot (stored_village_figures: one
query, about 0.1 s for a district of 1,000,000 children instead of 15 s live) and shows when
it was taken; a snapshot that is not fresh (older than FRESH_FACTOR x STATS_SNAPSHOT_MINUTES,
or from an earlier day) is shown as it is while a refresh of its district is queued
(stats.services.request_refresh).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from caseplans.models import OPEN_STATUSES, CasePlan, PlanStatus
from caseplans.rules import needs_plan_q
from children.choices import Category, Status
from children.models import Child
from core.calendar import pct
from core.regions import Level, prefix_range
from core.scoping import Scope
from matching.models import Finding
from org.models import Region
from reports.models import MandatoryReport, Stage
from stats.models import RegionSnapshot
from visits.selectors import compliance_aggregates

# Districts and wider (and the snapshot of everything) read the period's visits in bulk rather
# than probing them child by child (measured: 0.46 s instead of 1.8 s on PostgreSQL for a
# district of 100,000 children; towns and villages are faster probed).
BULK_PREFIX = 6
# A snapshot is fresh while younger than this many snapshot intervals (one missed run allowed).
FRESH_FACTOR = 2
# PostgreSQL settings for the bulk aggregates (inside their transaction only): the period's
# visits of a district (~1,000,000 rows at 1,000,000 children) must fit in work_mem to be
# hashed once, or the planner probes them row by row (measured: > 60 s instead of ~6 s); JIT
# compilation costs seconds and saves nothing on these plans.
BULK_SETTINGS = "SELECT set_config('work_mem', '128MB', true), set_config('jit', 'off', true)"
OPEN_STAGES = tuple(s for s in Stage.values if s != Stage.CLOSED)
COUNT_KEYS = (
    "total",
    "key",
    "contacted",
    "home_visited",
    "overdue_contact",
    "overdue_home",
    "reports_open",
    "reports_overdue",
    "findings_open",
    "findings_overdue",
    "plans_needed",
    "plans_review_overdue",
    "plan_actions_overdue",
)
# Everything a snapshot stores (the counts, plus the per-category and per-stage counts).
FIGURE_KEYS = (*COUNT_KEYS, "categories", "reports")


def empty_figures() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(COUNT_KEYS, 0)
    figures["categories"] = dict.fromkeys(Category.values, 0)
    figures["reports"] = dict.fromkeys(OPEN_STAGES, 0)
    return figures


def add_figures(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key in COUNT_KEYS:
        into[key] += other.get(key, 0)
    for key in ("categories", "reports"):
        for code, n in other.get(key, {}).items():
            into[key][code] = into[key].get(code, 0) + n


def with_shares(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures plus the compliance shares (percent, one decimal; None without children)."""
    return {
        **figures,
        "month_pct": pct(figures["contacted"], figures["total"]),
        "quarter_pct": pct(figures["home_visited"], figures["total"]),
        "not_contacted": figures["total"] - figures["contacted"],
        "not_home_visited": figures["total"] - figures["home_visited"],
    }


# --- The grouped aggregates -----------------------------------------------------------------


def village_figures(
    scope: Scope, prefix: str, today: datetime.date, now: datetime.datetime
) -> dict[str, dict[str, Any]]:
    """The figures of every village whose code starts with `prefix` (all of them for ""),
    inside `scope`, keyed by village code. Four queries (on PostgreSQL, districts and wider
    in a transaction with BULK_SETTINGS, one more query)."""
    if len(prefix) > BULK_PREFIX:
        return _village_figures(scope, prefix, today, now)
    with bulk_settings():
        return _village_figures(scope, prefix, today, now)


@contextmanager
def bulk_settings() -> Iterator[None]:
    """On PostgreSQL, a transaction with BULK_SETTINGS (local to it) around district-wide
    aggregates; elsewhere nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(BULK_SETTINGS)
        yield


def snapshot_minutes() -> int:
    return settings.STATS_SNAPSHOT_MINUTES


@dataclass
class Stored:
    """The villages' figures of an area as the latest snapshot holds them."""

    by_village: dict[str, dict[str, Any]]
    # When the snapshot was taken (its oldest village row); None: no snapshot yet.
    taken_at: datetime.datetime | None
    # Taken today within FRESH_FACTOR snapshot intervals; otherwise a refresh is due.
    fresh: bool


def stored_village_figures(
    scope: Scope, area: Region, today: datetime.date, now: datetime.datetime
) -> Stored:
    """The figures of the villages of `area` inside `scope`, from the area's latest snapshot
    (today's, or an earlier day's when none was taken today; never one stamped after `now`).
    The snapshot's village rows summed over the villages in scope are exactly the scoped
    figures, since a scope is a set of region prefixes. One query."""
    latest = RegionSnapshot.objects.filter(
        region_id=area.pk, date__lte=today, taken_at__lte=now
    ).order_by("-date")
    rows = (
        RegionSnapshot.objects.in_scope(scope)
        .filter(
            region__code__range=prefix_range(area.prefix),
            region__level=Level.VILLAGE,
            date=Subquery(latest.values("date")[:1]),
            taken_at__lte=now,
        )
        .values_list("region__code", "figures", "date", "taken_at")
    )
    result: dict[str, dict[str, Any]] = {}
    taken: datetime.datetime | None = None
    day: datetime.date | None = None
    for code, stored, date, taken_at in rows:
        figures = empty_figures()
        add_figures(figures, stored)
        result[code] = figures
        day = date
        if taken_at is not None and (taken is None or taken_at < taken):
            taken = taken_at
    since = now - datetime.timedelta(minutes=FRESH_FACTOR * snapshot_minutes())
    fresh = taken is not None and day == today and taken >= since
    return Stored(result, taken, fresh)


def _village_figures(
    scope: Scope, prefix: str, today: datetime.date, now: datetime.datetime
) -> dict[str, dict[str, Any]]:
    in_area = Q(region_code__range=prefix_range(prefix)) if prefix else Q()
    result: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        if code not in result:
            result[code] = empty_figures()
        return result[code]

    children = (
        Child.objects.in_scope(scope)
        .filter(in_area, status=Status.ACTIVE)
        .values("region_code")
        .annotate(
            **compliance_aggregates(today, bulk=len(prefix) <= BULK_PREFIX),
            key=Count("pk", filter=Q(is_key=True)),
            overdue_contact=Count("pk", filter=Q(next_contact_due__lt=today)),
            overdue_home=Count("pk", filter=Q(next_home_visit_due__lt=today)),
            # Children who need a case plan (caseplans.rules) and have none being worked on.
            plans_needed=Count(
                "pk",
                filter=needs_plan_q()
                & ~Q(
                    Exists(
                        CasePlan.objects.filter(child_id=OuterRef("pk"), status__in=OPEN_STATUSES)
                    )
                ),
            ),
        )
        .order_by()
    )
    for values in children:
        target = row(values.pop("region_code"))
        target.update(values)

    through = Child.categories.through
    tags = (
        through.objects.filter(
            scope.q("child__region_code"),
            Q(child__region_code__range=prefix_range(prefix)) if prefix else Q(),
            child__status=Status.ACTIVE,
        )
        .values("child__region_code", "categorytag_id")
        .annotate(n=Count("child_id"))
        .order_by()
    )
    for values in tags:
        categories = row(values["child__region_code"])["categories"]
        categories[values["categorytag_id"]] = (
            categories.get(values["categorytag_id"], 0) + (values["n"])
        )

    reports = (
        MandatoryReport.objects.in_scope(scope)
        .filter(in_area)
        .exclude(stage=Stage.CLOSED)
        .values("region_code", "stage")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(next_due_at__lt=now)))
        .order_by()
    )
    for values in reports:
        target = row(values["region_code"])
        target["reports"][values["stage"]] = values["n"]
        target["reports_open"] += values["n"]
        target["reports_overdue"] += values["overdue"]

    # Open findings of department lists (matching), by the village they were sent to.
    findings = (
        Finding.objects.in_scope(scope)
        .filter(in_area, done=False)
        .values("region_code")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    )
    for values in findings:
        target = row(values["region_code"])
        target["findings_open"] += values["n"]
        target["findings_overdue"] += values["overdue"]

    # Approved case plans past their review date, and their open actions past due.
    plans = (
        CasePlan.objects.in_scope(scope)
        .filter(
            Q(child__region_code__range=prefix_range(prefix)) if prefix else Q(),
            status=PlanStatus.APPROVED,
        )
        .values("child__region_code")
        .annotate(
            review_overdue=Count("pk", filter=Q(review_on__lt=today), distinct=True),
            actions_overdue=Count(
                "actions", filter=Q(actions__done=False, actions__due_on__lt=today)
            ),
        )
        .order_by()
    )
    for values in plans:
        target = row(values["child__region_code"])
        target["plans_review_overdue"] += values["review_overdue"]
        target["plan_actions_overdue"] += values["actions_overdue"]
    return result


def roll_up(by_village: dict[str, dict[str, Any]], length: int) -> dict[str, dict[str, Any]]:
    """Village figures summed by the first `length` digits of the village code (9: towns, 6:
    districts), over the village rows."""
    result: dict[str, dict[str, Any]] = {}
    for code, figures in by_village.items():
        add_figures(result.setdefault(code[:length], empty_figures()), figures)
    return result
