"""Reads of reports, all through the scoping module: case lists, the alert recipients of a
case's region, and the R19 thresholds."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from children.choices import ParentStatus
from children.models import Parent
from core import clock
from core.calendar import add_months
from core.regions import district_code, infer_level, prefix_range, scope_prefix, town_code
from core.roles import Role
from core.scoping import get_scope
from org.models import AssignmentQuerySet, User
from org.selectors import staff_serving
from reports.models import (
    MandatoryReport,
    MandatoryReportQuerySet,
    ReportStep,
    Stage,
    StepKind,
)


def reports_for(user: User) -> MandatoryReportQuerySet:
    return MandatoryReport.objects.visible_to(user).select_related(
        "child", "village", "reporter", "acknowledged_by", "visit"
    )


def open_cases(user: User) -> QuerySet[MandatoryReport]:
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


def unacknowledged(user: User) -> QuerySet[MandatoryReport]:
    """Open reports in the user's regions nobody has acknowledged (for the home page: one
    query, region scope only)."""
    return (
        MandatoryReport.objects.in_scope(get_scope(user))
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


# --- Alert recipients -------------------------------------------------------------------------


def alert_staff(
    *, towns: Iterable[str], districts: Iterable[str], day: datetime.date | None = None
) -> AssignmentQuerySet:
    """The active supervisors of `towns` and the civil-affairs and protection-centre staff
    of `districts` (12-digit codes)."""
    return staff_serving(roles=[Role.SUPERVISOR], codes=towns, day=day) | staff_serving(
        roles=[Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE], codes=districts, day=day
    )


def alert_recipients(region_code: str) -> list[User]:
    """The town supervisor(s), district civil affairs and the protection centre of the
    district of `region_code`: one query."""
    rows = alert_staff(
        towns=[town_code(region_code)], districts=[district_code(region_code)]
    ).select_related("user")
    seen: dict[int, User] = {}
    for row in rows:
        seen.setdefault(row.user_id, row.user)
    return list(seen.values())


# --- R19 thresholds --------------------------------------------------------------------------

FLAG_TELL_CIVIL_AFFAIRS = "tell_civil_affairs"
FLAG_REVOCATION = "revocation"


@dataclass(frozen=True)
class Flag:
    code: str
    message: str


def r19_flags(
    reports: list[MandatoryReport], today: datetime.date | None = None
) -> dict[int, list[Flag]]:
    """The R19 thresholds reached by each report, by report pk, in two queries however many
    reports: a parent missing more than six months (report to civil affairs); parents
    untraceable over a year, or a guardian refusing duties for six months or more (the court
    may be asked to revoke guardianship)."""
    today = today or clock.today()
    flags: dict[int, list[Flag]] = {r.pk: [] for r in reports}
    if not reports:
        return flags
    missing: dict[int, list[datetime.date]] = {}
    child_ids = {r.child_id for r in reports if r.child_id is not None}
    if child_ids:
        for child_id, since in Parent.objects.filter(
            child_id__in=child_ids, status=ParentStatus.MISSING, missing_since__isnull=False
        ).values_list("child_id", "missing_since"):
            if since is not None:
                missing.setdefault(child_id, []).append(since)
    refusals: dict[int, datetime.date] = {}
    for report_id, done_at in (
        ReportStep.objects.filter(report__in=[r.pk for r in reports], kind=StepKind.REFUSAL)
        .order_by("done_at")
        .values_list("report_id", "done_at")
    ):
        refusals.setdefault(report_id, timezone.localdate(done_at))
    for report in reports:
        found = flags[report.pk]
        since_dates = missing.get(report.child_id or 0, [])
        if any(add_months(since, 6) < today for since in since_dates):
            found.append(
                Flag(
                    FLAG_TELL_CIVIL_AFFAIRS,
                    _(
                        "A parent has been missing for more than six months: report to civil "
                        "affairs."
                    ),
                )
            )
        refused = refusals.get(report.pk)
        if any(add_months(since, 12) < today for since in since_dates) or (
            refused is not None and add_months(refused, 6) <= today
        ):
            found.append(
                Flag(
                    FLAG_REVOCATION,
                    _(
                        "Parents untraceable for over a year or a guardian refusing duties for "
                        "six months or more: the court may be asked to revoke guardianship."
                    ),
                )
            )
    return flags
