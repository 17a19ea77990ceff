"""/api/v1/stats/: the dashboards' figures for other systems (e.g. a provincial platform).
The list holds the caller's own areas, each with its child areas; /api/v1/stats/<code>/ one
area in scope (404 otherwise) with its child areas and the 12-month compliance history."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from core import clock
from core.api import replica_list
from core.http import AuthenticatedApiRequest
from core.scoping import get_scope
from org.models import Region
from stats import history
from stats.dashboard import (
    area_dashboard,
    dashboard_area_or_none,
    own_areas,
)
from stats.serializers import (
    AreaDetailSerializer,
    AreaSerializer,
)


class StatsViewSet(viewsets.ViewSet):
    request: AuthenticatedApiRequest

    lookup_field = "code"
    lookup_value_regex = r"\d{12}"

    @extend_schema(responses={200: AreaSerializer(many=True)})
    @replica_list
    def list(self, request: AuthenticatedApiRequest) -> Response:
        """The caller's own areas (a director's villages, a supervisor's towns, a district),
        each with the figures of the areas one level below."""
        today, now = clock.today(), clock.now()
        dashboards = [
            area_dashboard(request.user, area, today, now) for area in own_areas(request.user)
        ]
        return Response(AreaSerializer(dashboards, many=True).data)

    @extend_schema(responses={200: AreaDetailSerializer})
    def retrieve(self, request: AuthenticatedApiRequest, code: str) -> Response:
        """One village, town or district in the caller's scope (404 otherwise), with its child
        areas and 12 months of contact compliance."""
        area: Region | None = dashboard_area_or_none(request.user, code)
        if area is None:
            raise Http404
        today = clock.today()
        dashboard: Any = area_dashboard(request.user, area, today, clock.now())
        dashboard.history = history.compliance_history(
            get_scope(request.user), area, today, dashboard.total.figures
        )
        return Response(AreaDetailSerializer(dashboard).data)
