"""Reads of lists and findings, every one from the user's scope."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from core import clock, permissions, scoping
from core.regions import infer_level, prefix_range, scope_prefix
from core.roles import Role
from matching.models import (
    Finding,
    ListImport,
    ListImportQuerySet,
    ListRow,
    ListRowQuerySet,
    Review,
)
from org.models import User

MY_LIMIT = 50
GROUPS = {"source": "source", "rule": "rule", "village": "village_id", "outcome": "outcome"}


def imports_for(user: User) -> ListImportQuerySet:
    return (
        ListImport.objects.visible_to(user)
        .filter(district__in=permissions.managed_districts(user))
        .select_related("district", "uploaded_by")
    )


def findings_for(user: User, params: Mapping[str, str]) -> QuerySet[Finding]:
    """The findings `user` may see, filtered by source, rule, village, area (a region's code:
    the dashboards' links), outcome ("open" for the open ones, "overdue" for those open past
    their due date), list."""
    findings = Finding.objects.visible_to(user)
    for key in ("source", "rule"):
        if params.get(key):
            findings = findings.filter(**{key: params[key]})
    if (params.get("village") or "").isdigit():
        findings = findings.filter(village_id=int(params["village"]))
    if (params.get("list") or "").isdigit():
        findings = findings.filter(list_import_id=int(params["list"]))
    area = params.get("area") or ""
    if len(area) == 12 and area.isdigit():
        findings = findings.filter(
            region_code__range=prefix_range(scope_prefix(area, infer_level(area)))
        )
    outcome = params.get("outcome") or ""
    if outcome == "open":
        findings = findings.filter(done=False)
    elif outcome == "overdue":
        findings = findings.filter(done=False, due_on__lt=clock.today())
    elif outcome:
        findings = findings.filter(outcome=outcome)
    return findings.select_related("village", "child", "row").order_by("done", "due_on", "pk")


def _days(value: Any) -> int:
    if isinstance(value, datetime.timedelta):
        return value.days
    return int(value) // 86_400_000_000  # SQLite: microseconds


def _median(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as sorted (value, count) pairs."""
    total = sum(n for _v, n in histogram)
    if not total:
        return None
    middle: list[int] = []
    seen = 0
    for value, n in histogram:
        middle += [value for i in {(total - 1) // 2, total // 2} if seen <= i < seen + n]
        seen += n
    return round(sum(middle) / len(middle), 1)


def summary(
    findings: QuerySet[Finding], by: str, today: datetime.date | None = None
) -> list[dict[str, Any]]:
    """Counts by `by` (source, rule, village, outcome): all, open, overdue (open past the due
    date), and the median and mean days to close. Two queries: the counts, and the closed
    findings' days to close counted per group and number of days (the median from that)."""
    today = today or clock.today()
    field = GROUPS.get(by, "source")
    names = ["village__name"] if field == "village_id" else []
    rows = (
        findings.order_by()
        .values(field, *names)
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(done=False)),
            overdue=Count("pk", filter=Q(done=False, due_on__lt=today)),
        )
        .order_by(*names, field)
    )
    days = ExpressionWrapper(F("done_on") - F("created_on"), output_field=DurationField())
    histograms: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    closed = (
        findings.filter(done=True, done_on__isnull=False)
        .order_by()
        .annotate(days=days)
        .values(field, "days")
        .annotate(n=Count("pk"))
    )
    for row in closed:
        histograms[row[field]].append((_days(row["days"]), row["n"]))
    result = []
    for row in rows:
        histogram = sorted(histograms.get(row[field], []))
        count = sum(n for _v, n in histogram)
        result.append(
            {
                "key": row[field],
                "name": row.get("village__name", ""),
                "total": row["total"],
                "open": row["open"],
                "overdue": row["overdue"],
                "closed": count,
                "median_days": _median(histogram),
                "days_to_close": round(sum(v * n for v, n in histogram) / count, 1)
                if count
                else None,
            }
        )
    return result


def may_see_findings(user: User) -> bool:
    """The findings list and its summary: supervisors and district civil affairs."""
    return scoping.get_scope(user).has_role(Role.SUPERVISOR, Role.CIVIL_AFFAIRS)


def my_findings(user: User, limit: int = MY_LIMIT) -> list[Finding]:
    """A director's open findings (their villages), the earliest due first: the top of "my
    work". A fixed number of queries, whatever the number of findings."""
    villages = scoping.get_scope(user).regions(Role.CHILD_DIRECTOR)
    if not villages:
        return []
    return list(
        Finding.objects.visible_to(user)
        .filter(done=False, village__in=villages)
        .select_related("village", "child", "row")
        .order_by("due_on", "pk")[:limit]
    )


def review_rows(user: User) -> ListRowQuerySet:
    return (
        ListRow.objects.visible_to(user)
        .filter(
            review=Review.PENDING, list_import__district__in=permissions.managed_districts(user)
        )
        .select_related("candidate", "candidate__village", "village", "list_import")
        .order_by("list_import", "number")
    )
