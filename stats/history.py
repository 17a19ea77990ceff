"""Twelve months of an area's figures for the trend chart.

The current month is the dashboard's (live, or today's fresh snapshot). Each earlier month
is read from the snapshots (stats.models.RegionSnapshot): the last one taken in that month,
whose "this month" compliance is the month's compliance as of that time. A month without any
snapshot (before the snapshot task ran, or a gap) is computed once by the snapshot task from
the visit dates and stored like a snapshot dated the month's last day (visits_by_village,
stats.services.backfill_months): the share of the area's currently active children
registered by the end of that month who had a contact in it that counts under the district's
cadence rule (in person for key children unless the district counts remote contacts, R15; by
their key status today). Two grouped queries cover all such months. A dashboard never
computes them, except for an area only partly in the user's scope (a few villages), whose
stored rows are the whole area's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from children.choices import Status
from children.models import Child
from core.calendar import add_months, pct
from core.regions import prefix_range
from core.scoping import Scope
from org.models import Region
from stats.models import RegionSnapshot
from visits import cadence
from visits.models import Visit

MONTHS = 12


@dataclass
class Month:
    start: datetime.date
    month_pct: float | None
    contacted: int
    total: int
    source: str  # "live", "snapshot", "visits" or "none" (not computed yet)

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


def month_starts(today: datetime.date) -> list[datetime.date]:
    """The first days of the trend's twelve months, oldest first (the last is today's)."""
    first = today.replace(day=1)
    return [add_months(first, -i) for i in range(MONTHS - 1, -1, -1)]


def month_end(start: datetime.date) -> datetime.date:
    """The last day of the month starting on `start`."""
    return add_months(start, 1) - datetime.timedelta(days=1)


def visits_by_village(
    scope: Scope, prefix: str, starts: list[datetime.date]
) -> dict[datetime.date, dict[str, dict[str, Any]]]:
    """For each month in `starts`, the figures "total" (active children registered by the
    month's end) and "contacted" (of them, those with a counting contact in the month) of
    every village under `prefix` in `scope`, keyed by village code. Two grouped queries for
    all the months."""
    if not starts:
        return {}
    in_area = Q(region_code__range=prefix_range(prefix))
    ends = {start: add_months(start, 1) for start in starts}
    tz = timezone.get_current_timezone()

    def end_at(start: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(ends[start], datetime.time.min, tzinfo=tz)

    registered = (
        Child.objects.in_scope(scope)
        .filter(in_area, status=Status.ACTIVE)
        .values("region_code")
        .annotate(
            **{
                f"m{i}": Count("pk", filter=Q(created_at__lt=end_at(s)))
                for i, s in enumerate(starts)
            }
        )
        .order_by()
    )
    counts = (
        Visit.objects.in_scope(scope)
        .filter(
            Q(child__region_code__range=prefix_range(prefix)),
            cadence.counts_as_contact_q(cadence.remote_key_districts()),
            child__status=Status.ACTIVE,
            visit_date__gte=starts[0],
            visit_date__lt=ends[starts[-1]],
        )
        .values("child__region_code")
        .annotate(
            **{
                f"m{i}": Count(
                    "child_id",
                    distinct=True,
                    filter=Q(visit_date__gte=s, visit_date__lt=ends[s]),
                )
                for i, s in enumerate(starts)
            }
        )
        .order_by()
    )
    result: dict[datetime.date, dict[str, dict[str, Any]]] = {s: {} for s in starts}

    def cell(start: datetime.date, code: str) -> dict[str, Any]:
        return result[start].setdefault(code, {"total": 0, "contacted": 0})

    for row in registered:
        for i, start in enumerate(starts):
            cell(start, row["region_code"])["total"] = row[f"m{i}"] or 0
    for row in counts:
        for i, start in enumerate(starts):
            cell(start, row["child__region_code"])["contacted"] = row[f"m{i}"] or 0
    return result


def _from_visits(
    scope: Scope, area: Region, starts: list[datetime.date]
) -> dict[datetime.date, Month]:
    """Months computed from the visit dates (an area partly in scope: a few villages)."""
    result = {}
    for start, by_village in visits_by_village(scope, area.prefix, starts).items():
        total = sum(f["total"] for f in by_village.values())
        contacted = sum(f["contacted"] for f in by_village.values())
        result[start] = Month(start, pct(contacted, total), contacted, total, "visits")
    return result


def compliance_history(
    scope: Scope, area: Region, today: datetime.date, live: dict[str, Any]
) -> list[Month]:
    """The contact compliance of `area` in each of the last 12 months (oldest first), the
    current month taken from `live` (the dashboard's figures)."""
    starts = month_starts(today)
    earlier = starts[:-1]
    snapshots = (
        RegionSnapshot.objects.in_scope(scope)
        .filter(region=area)
        .filter(date__gte=earlier[0], date__lt=starts[-1])
        .order_by("date")
        .values_list("date", "figures")
    )
    by_month: dict[datetime.date, Month] = {}
    for day, figures in snapshots:  # ascending: the month's last snapshot wins
        total, contacted = figures.get("total", 0), figures.get("contacted", 0)
        start = day.replace(day=1)
        source = figures.get("source", "snapshot")
        by_month[start] = Month(start, pct(contacted, total), contacted, total, source)
    missing = [s for s in earlier if s not in by_month]
    if not scope.covers(area.code):
        by_month.update(_from_visits(scope, area, missing))
    for start in missing:  # the snapshot task stores them (a refresh was requested)
        by_month.setdefault(start, Month(start, None, 0, 0, "none"))
    current = Month(
        starts[-1], pct(live["contacted"], live["total"]), live["contacted"], live["total"], "live"
    )
    return [by_month[s] for s in earlier] + [current]
