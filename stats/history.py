"""Twelve months of an area's figures for the trend chart.

The current month is the dashboard's (live, or today's fresh snapshot). Each earlier month
is read from the snapshots (stats.models.RegionSnapshot): the last one taken in that month,
whose "this month" compliance is the month's compliance as of that time. A month without any
snapshot (before the snapshot task ran, or a gap) is computed live from the visit dates: the
share of the area's currently active children registered by the end of that month who had a
contact in it that counts under the district's cadence rule (in person for key children
unless the district counts remote contacts, R15; by their key status today). Two queries
cover all such months.
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
    source: str  # "live", "snapshot" or "visits"

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


def _month_starts(today: datetime.date) -> list[datetime.date]:
    first = today.replace(day=1)
    return [add_months(first, -i) for i in range(MONTHS - 1, -1, -1)]


def _from_visits(
    scope: Scope, area: Region, starts: list[datetime.date]
) -> dict[datetime.date, Month]:
    """Months computed from the visit dates (two aggregate queries for all of them)."""
    if not starts:
        return {}
    in_area = Q(region_code__range=prefix_range(area.prefix))
    ends = {start: add_months(start, 1) for start in starts}
    tz = timezone.get_current_timezone()

    def month_end(start: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(ends[start], datetime.time.min, tzinfo=tz)

    registered = (
        Child.objects.in_scope(scope)
        .filter(in_area, status=Status.ACTIVE)
        .aggregate(
            **{
                f"m{i}": Count("pk", filter=Q(created_at__lt=month_end(s)))
                for i, s in enumerate(starts)
            }
        )
    )
    counts = (
        Visit.objects.in_scope(scope)
        .filter(
            Q(child__region_code__range=prefix_range(area.prefix)),
            cadence.counts_as_contact_q(cadence.remote_key_districts()),
            child__status=Status.ACTIVE,
            visit_date__gte=starts[0],
            visit_date__lt=ends[starts[-1]],
        )
        .aggregate(
            **{
                f"m{i}": Count(
                    "child_id",
                    distinct=True,
                    filter=Q(visit_date__gte=s, visit_date__lt=ends[s]),
                )
                for i, s in enumerate(starts)
            }
        )
    )
    result = {}
    for i, start in enumerate(starts):
        total = registered[f"m{i}"] or 0
        contacted = counts[f"m{i}"] or 0
        result[start] = Month(start, pct(contacted, total), contacted, total, "visits")
    return result


def compliance_history(
    scope: Scope, area: Region, today: datetime.date, live: dict[str, Any]
) -> list[Month]:
    """The contact compliance of `area` in each of the last 12 months (oldest first), the
    current month taken from `live` (the dashboard's figures)."""
    starts = _month_starts(today)
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
        by_month[start] = Month(start, pct(contacted, total), contacted, total, "snapshot")
    by_month.update(_from_visits(scope, area, [s for s in earlier if s not in by_month]))
    current = Month(
        starts[-1], pct(live["contacted"], live["total"]), live["contacted"], live["total"], "live"
    )
    return [by_month[s] for s in earlier] + [current]
