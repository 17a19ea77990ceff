"""Reads of reports, all through the scoping module."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from core.scoping import get_scope
from reports.models import MandatoryReport, MandatoryReportQuerySet, ReportStep, Stage


def reports_for(user: Any) -> MandatoryReportQuerySet:
    return MandatoryReport.objects.visible_to(user).select_related(
        "child", "village", "reporter", "acknowledged_by"
    )


def open_cases(user: Any) -> QuerySet[MandatoryReport]:
    """Every open case in scope: unacknowledged reports first, then the most urgent
    deadline first. A constant number of queries however many cases."""
    return (
        reports_for(user)
        .exclude(stage=Stage.CLOSED)
        .annotate(
            unacknowledged=Case(
                When(acknowledged_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("unacknowledged", "next_due_at", "-created_at", "-pk")
    )


def unacknowledged(user: Any) -> QuerySet[MandatoryReport]:
    """Open reports in the user's regions nobody has acknowledged (for the home page: one
    query, region scope only)."""
    return (
        MandatoryReport.objects.filter(get_scope(user).q("region_code"))
        .filter(acknowledged_at__isnull=True)
        .exclude(stage=Stage.CLOSED)
        .select_related("child", "village")
    )


def timeline(report: MandatoryReport) -> QuerySet[ReportStep]:
    return ReportStep.objects.filter(report=report).select_related("by", "corrects")


def filter_cases(
    cases: QuerySet[MandatoryReport], params: Any, now: Any
) -> tuple[QuerySet[MandatoryReport], dict[str, str]]:
    """Narrow a list of cases by the dashboards' drill-down parameters: `area` (a district,
    town or village code: its prefix), `stage` and `overdue=1` (the next expected step is past
    its deadline). Unknown values are ignored. Returns the queryset and the filters applied."""
    from core.regions import infer_level, prefix_range, scope_prefix

    applied: dict[str, str] = {}
    area = str(params.get("area") or "")
    if len(area) == 12 and area.isdigit():
        cases = cases.filter(region_code__range=prefix_range(scope_prefix(area, infer_level(area))))
        applied["area"] = area
    stage = str(params.get("stage") or "")
    if stage in Stage.values:
        cases = cases.filter(stage=stage)
        applied["stage"] = str(Stage(stage).label)
    if params.get("overdue") == "1":
        cases = cases.filter(next_due_at__lt=now)
        applied["overdue"] = "1"
    return cases, applied
