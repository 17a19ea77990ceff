"""Reads of lists and findings, every one from the user's scope."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from core import permissions, scoping
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
GROUPS = {"source": "source", "rule": "rule", "village": "village__name", "outcome": "outcome"}


def imports_for(user: User) -> ListImportQuerySet:
    return (
        ListImport.objects.visible_to(user)
        .filter(district__in=permissions.managed_districts(user))
        .select_related("district", "uploaded_by")
    )


def findings_for(user: User, params: Mapping[str, str]) -> QuerySet[Finding]:
    """The findings `user` may see, filtered by source, rule, village, outcome ("open" for the
    open ones), list."""
    findings = Finding.objects.visible_to(user)
    for key in ("source", "rule"):
        if params.get(key):
            findings = findings.filter(**{key: params[key]})
    if (params.get("village") or "").isdigit():
        findings = findings.filter(village_id=int(params["village"]))
    if (params.get("list") or "").isdigit():
        findings = findings.filter(list_import_id=int(params["list"]))
    outcome = params.get("outcome") or ""
    if outcome == "open":
        findings = findings.filter(done=False)
    elif outcome:
        findings = findings.filter(outcome=outcome)
    return findings.select_related("village", "child", "row").order_by("done", "due_on", "pk")


def summary(findings: QuerySet[Finding], by: str) -> list[dict[str, Any]]:
    """Counts by `by` (source, rule, village, outcome): all, open, overdue-free closed, and the
    mean days to close."""
    field = GROUPS.get(by, "source")
    days = ExpressionWrapper(F("done_on") - F("created_on"), output_field=DurationField())
    rows = (
        findings.order_by()
        .values(field)
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(done=False)),
            to_close=Avg(days, filter=Q(done=True)),
        )
        .order_by(field)
    )
    result = []
    for row in rows:
        mean = row["to_close"]
        if isinstance(mean, datetime.timedelta):
            mean = round(mean.total_seconds() / 86400, 1)
        elif mean is not None:  # SQLite: microseconds
            mean = round(float(mean) / 86_400_000_000, 1)
        result.append(
            {"key": row[field], "total": row["total"], "open": row["open"], "days_to_close": mean}
        )
    return result


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
