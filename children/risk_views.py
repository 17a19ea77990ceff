"""The early-warning list (R15): the children whose risk level rose this month, with the
reason, for supervisors (their towns) and district staff (their districts); a page and
GET /api/v1/risk-rises/."""

from __future__ import annotations

import datetime

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import HttpResponse
from django.shortcuts import render
from rest_framework import generics

from children.models_risk import RiskChange
from children.risk import change_reasons
from children.serializers import RiskRiseSerializer
from core import clock, scoping
from core.calendar import month_bounds
from core.http import AuthenticatedRequest, signed_in
from core.replica import replica_reads
from core.roles import Role
from org.models import User

WARNING_ROLES = (Role.SUPERVISOR, Role.CIVIL_AFFAIRS)
LIMIT = 500


def risk_rises(user: User, today: datetime.date) -> QuerySet[RiskChange]:
    """The latest rise of each child whose level rose this month (in the part of the user's
    scope held as supervisor or civil affairs), highest level first. Empty for anyone else."""
    scope = scoping.role_scope(user, *WARNING_ROLES)
    start, end = month_bounds(today)
    rises = RiskChange.objects.in_scope(scope).filter(changed_on__range=(start, end))
    latest = (
        RiskChange.objects.filter(child=OuterRef("child"), changed_on__range=(start, end))
        .order_by("-changed_at", "-pk")
        .values("pk")[:1]
    )
    return (
        rises.filter(pk=Subquery(latest))
        .filter(to_level__gt=F("from_level"))
        .select_related("child__village")
        .order_by("-to_level", "-changed_at", "pk")
    )


@replica_reads
def risk_rises_page(request: AuthenticatedRequest) -> HttpResponse:
    today = clock.today()
    rises = list(risk_rises(request.user, today)[:LIMIT])
    rows = [(change, change_reasons(change)) for change in rises]
    return render(
        request,
        "children/risk_rises.html",
        {"rows": rows, "today": today, "limit": LIMIT, "truncated": len(rises) == LIMIT},
    )


class RiskRiseList(generics.ListAPIView[RiskChange]):
    """The children whose risk level rose this month, in the caller's towns (supervisor) or
    districts (civil affairs); empty for anyone else."""

    serializer_class = RiskRiseSerializer

    def get_queryset(self) -> QuerySet[RiskChange]:
        return risk_rises(signed_in(self.request), clock.today())


risk_rises_api = RiskRiseList.as_view()
