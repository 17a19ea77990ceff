"""Export jobs: asking for one and handing out the file (running it: exports/jobs.py).

Who exports statistics: district civil-affairs staff (their district or one of its towns) and
town supervisors (their town). Every area check goes through the scoping module: an area
outside the requester's scope answers 404, like one that does not exist.

Who downloads: only the person who asked, and only while the area is still in their scope.
The workbook is made for them, in their name, and the access log records their request; a
colleague who needs the same figures asks for their own export, which is logged as theirs.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from children.audit import log_access
from children.models import AccessAction
from children.selectors import ChildFilter
from core import clock
from core.http import signed_in
from core.queueing import delay_on_commit
from core.regions import Level
from core.storage import open_for_download
from exports import tasks
from exports.models import (
    AREA_KINDS,
    ExportJob,
    ExportKind,
    NationalMode,
)
from exports.roster import FILTER_FIELDS, FORMATS, roster_area
from exports.selectors import (
    export_areas,
    job_or_404,
    last_national_export,
    log_scope,
    may_export,
)
from org.models import Region, User


def _parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def export_request(
    *,
    user: User,
    kind: str,
    area_code: str,
    params: dict[str, Any],
    today: datetime.date,
) -> ExportJob:
    """Queue an export of `area_code` for `user`. Bad input raises ValidationError naming the
    field; an area outside the user's scope raises Http404; the job runs after commit."""
    if not may_export(user):
        raise PermissionDenied(
            _("Statistics are exported by district civil-affairs staff and town supervisors.")
        )
    errors: dict[str, list[str]] = {}
    if kind not in AREA_KINDS:
        errors["kind"] = [_("Unknown kind of export.")]
    area_code = (area_code or "").strip()
    if not area_code:
        errors["area"] = [_("Choose the region to export.")]
    elif len(area_code) != 12 or not area_code.isascii() or not area_code.isdigit():
        errors["area"] = [_("Give the 12-digit division code of a district or a town.")]
    job_params: dict[str, Any] = {}
    if kind == ExportKind.NATIONAL:
        mode = params.get("mode") or NationalMode.FULL
        if mode not in NationalMode.values:
            errors["mode"] = [_("Choose every child or the changes since the last export.")]
        job_params = {"mode": mode, "date": today.isoformat()}
    else:
        raw_date = params.get("date")
        day = _parse_date(raw_date)
        if raw_date in (None, ""):
            errors["date"] = [_("Give the date the statistics are for.")]
        elif day is None:
            errors["date"] = [_("Give the date as YYYY-MM-DD, for example 2026-11-23.")]
        elif day > today:
            errors["date"] = [_("The date cannot be in the future.")]
        if day is not None:
            job_params = {"date": day.isoformat()}
    if errors or not job_params:
        raise ValidationError(errors)
    region = Region.objects.visible_to(user).filter(code=area_code).first()
    if region is None:
        raise Http404
    if region.level not in (Level.DISTRICT, Level.TOWN):
        raise ValidationError({"area": [_("Statistics are exported for a district or a town.")]})
    if region.pk not in {a.pk for a in export_areas(user)}:
        raise Http404
    if job_params.get("mode") == NationalMode.CHANGES and last_national_export(region) is None:
        raise ValidationError(
            {"mode": [_("This region has not been exported yet: export every child first.")]}
        )
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=kind,
            params={
                **job_params,
                "language": translation.get_language() or settings.LANGUAGE_CODE,
            },
            area=region,
            requested_by=user,
        )
        delay_on_commit(tasks.run_export_job, str(job.pk))
    return job


def roster_export_request(*, user: User, flt: ChildFilter, fmt: str) -> ExportJob:
    """Queue a roster export for `user` (run after commit; the worker reads the archive
    again in the user's scope, as it is then)."""
    if fmt not in FORMATS:
        raise Http404
    params: dict[str, Any] = {
        "format": fmt,
        "filter": {name: getattr(flt, name) for name in FILTER_FIELDS},
        "date": (flt.today or clock.today()).isoformat(),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=ExportKind.ROSTER, params=params, area=roster_area(user, flt), requested_by=user
        )
        delay_on_commit(tasks.run_export_job, str(job.pk))
    return job


def export_download(
    *, request: HttpRequest, job_id: Any, now: datetime.datetime
) -> tuple[ExportJob, File[Any]]:
    """The job whose file the requester downloads and the file, opened; access-logged once
    the file opened (core.storage.StorageDown when the storage fails: no log then). 404 when
    it is not theirs, out of scope, not ready or expired."""
    job = job_or_404(signed_in(request), job_id)
    if not job.downloadable(now):
        raise Http404
    stream = open_for_download(job.file.storage, job.file.name)
    log_access(
        request, AccessAction.EXPORT, scope=log_scope(job, "download"), row_count=job.row_count
    )
    return job, stream


# --- Expiry --------------------------------------------------------------------------------
