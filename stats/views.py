"""The dashboards: /stats/ opens the user's own area, /stats/area/<code>/ any area in scope.
Figures come from stats.dashboard (live) and stats.history (12 months, snapshots)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render

from children.choices import Category
from core import clock
from core.http import AuthenticatedRequest
from core.replica import replica_reads
from core.scoping import get_scope
from matching.selectors import may_see_findings
from org.models import Region, User
from stats import history
from stats.dashboard import (
    R2_THRESHOLD,
    Dashboard,
    area_dashboard,
    dashboard_area_or_none,
    own_areas,
)
from stats.figures import snapshot_minutes
from training.selectors import can_see_files


def chart_data(dashboard: Dashboard, months: list[history.Month]) -> dict[str, Any]:
    """What static/stats.js draws: compliance per month and children by category."""
    counts = dashboard.total.figures["categories"]
    return {
        "months": [m.label for m in months],
        "compliance": [m.month_pct for m in months],
        "categories": [str(c.label) for c in Category],
        "category_counts": [counts.get(c.value, 0) for c in Category],
    }


def render_dashboard(request: AuthenticatedRequest, area: Region) -> HttpResponse:
    user: User = request.user
    today = clock.today()
    dashboard = area_dashboard(user, area, today, clock.now())
    months = history.compliance_history(get_scope(user), area, today, dashboard.total.figures)
    scope = get_scope(user)
    parent = area.parent if area.parent and scope.covers(area.parent.code) else None
    return render(
        request,
        "stats/dashboard.html",
        {
            "dashboard": dashboard,
            "area": area,
            "parent": parent,
            "total": dashboard.total,
            "rows": dashboard.rows,
            "months": months,
            "chart": chart_data(dashboard, months),
            "r2_threshold": R2_THRESHOLD,
            "snapshot_minutes": snapshot_minutes(),
            "can_see_files": can_see_files(user),
            "can_see_findings": may_see_findings(user),
        },
    )


@replica_reads
def index(request: AuthenticatedRequest) -> HttpResponse:
    """The dashboard of the user's own area; a choice when they serve several."""
    areas = own_areas(request.user)
    if not areas:
        raise Http404
    if len(areas) == 1:
        return render_dashboard(request, areas[0])
    return render(request, "stats/choose.html", {"areas": areas})


@replica_reads
def area(request: AuthenticatedRequest, code: str) -> HttpResponse:
    region = dashboard_area_or_none(request.user, code)
    if region is None:
        raise Http404
    return render_dashboard(request, region)
