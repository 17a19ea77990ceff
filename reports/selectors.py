"""Reads of reports, all through the scoping module."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from carecase.access import get_scope
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
