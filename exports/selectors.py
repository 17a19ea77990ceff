"""Reading export jobs: who may export which areas, a person's own jobs, and how a job's area
is named in the access log. Every area check goes through the scoping module."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from core import scoping
from core.regions import Level
from core.roles import Role
from exports.models import (
    ExportJob,
    ExportJobQuerySet,
    NationalExport,
    NationalExportQuerySet,
)
from org.models import Region, User

EXPORT_ROLES = (Role.CIVIL_AFFAIRS, Role.SUPERVISOR)


def may_export(user: User) -> bool:
    return scoping.get_scope(user).has_role(*EXPORT_ROLES)


def export_areas(user: User) -> list[Region]:
    """The areas `user` may export: civil-affairs staff their districts and the towns of them,
    supervisors their towns. All inside `user`'s scope."""
    scope = scoping.get_scope(user)
    districts = scope.regions(Role.CIVIL_AFFAIRS)
    towns = scope.regions(Role.SUPERVISOR)
    condition = Q(pk__in=[r.pk for r in (*districts, *towns)])
    if districts:
        district_scope = scoping.role_scope(user, Role.CIVIL_AFFAIRS)
        condition |= district_scope.q("code") & Q(level=Level.TOWN)
    return list(
        Region.objects.visible_to(user)
        .filter(condition, level__in=[Level.DISTRICT, Level.TOWN])
        .order_by("code")
    )


def log_scope(job: ExportJob, event: str) -> str:
    return f"{job.kind} {event} {job.area.code} {job.params.get('date', '')} job {job.pk}"


# --- Reading jobs --------------------------------------------------------------------------


def jobs_for(user: User) -> ExportJobQuerySet:
    """The user's own jobs, in regions still in their scope, newest first."""
    return (
        ExportJob.objects.visible_to(user)
        .filter(requested_by_id=user.pk)
        .select_related("area")
        .order_by("-created_at")
    )


def job_or_404(user: User, job_id: Any) -> ExportJob:
    return scoping.get_visible_or_404(jobs_for(user), user, pk=job_id)


# --- The national-system ledger ------------------------------------------------------------


def last_national_export(area: Region) -> NationalExport | None:
    """The ledger row a "changes" export of `area` is relative to: the area's latest."""
    return NationalExport.objects.filter(area=area).order_by("-as_of", "-pk").first()


def may_read_ledger(user: User) -> bool:
    """The ledger is read by those who export (district staff and town supervisors)."""
    return may_export(user)


def national_ledger(user: User, area_code: str = "") -> NationalExportQuerySet:
    """The national-system exports of regions in `user`'s scope, by anyone, newest first:
    district staff see their district's and its towns', a supervisor her town's."""
    rows = NationalExport.objects.visible_to(user)
    if area_code:
        rows = rows.filter(area__code=area_code)
    return rows.select_related("area", "exported_by", "job", "since").order_by("-as_of", "-pk")
