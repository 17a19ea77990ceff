"""Export jobs: asking for one, running it once, handing out the file, purging it.

Who exports statistics: district civil-affairs staff (their district or one of its towns) and
town supervisors (their town). Every area check goes through the scoping module: an area
outside the requester's scope answers 404, like one that does not exist.

Who downloads: only the person who asked, and only while the area is still in their scope.
The workbook is made for them, in their name, and the access log records their request; a
colleague who needs the same figures asks for their own export, which is logged as theirs.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from children.audit import log_access
from children.models import AccessAction, AccessLog
from core import clock, scoping
from core.regions import Level
from core.roles import Role
from exports.models import (
    EXPORT_LIFETIME,
    ExportJob,
    ExportJobQuerySet,
    ExportKind,
    ExportStatus,
)
from org.models import Region

logger = logging.getLogger(__name__)

EXPORT_ROLES = (Role.CIVIL_AFFAIRS, Role.SUPERVISOR)
# Progress is written to the database at most this often (seconds), and only when it moved.
PROGRESS_INTERVAL = 1.0
# A job still queued or running after this long lost its worker: it is marked failed.
STALE_AFTER = datetime.timedelta(hours=6)


class ExportRefused(Exception):
    """A reason, fit to show the requester, why a queued job cannot be built."""


def may_export(user: Any) -> bool:
    return scoping.get_scope(user).has_role(*EXPORT_ROLES)


def export_areas(user: Any) -> list[Region]:
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


def request_export(
    *,
    user: Any,
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
    if kind not in ExportKind.values:
        errors["kind"] = [_("Unknown kind of export.")]
    area_code = (area_code or "").strip()
    if not area_code:
        errors["area"] = [_("Choose the region to export.")]
    elif len(area_code) != 12 or not area_code.isascii() or not area_code.isdigit():
        errors["area"] = [_("Give the 12-digit division code of a district or a town.")]
    raw_date = params.get("date")
    day = _parse_date(raw_date)
    if raw_date in (None, ""):
        errors["date"] = [_("Give the date the statistics are for.")]
    elif day is None:
        errors["date"] = [_("Give the date as YYYY-MM-DD, for example 2026-11-23.")]
    elif day > today:
        errors["date"] = [_("The date cannot be in the future.")]
    if errors or day is None:
        raise ValidationError(errors)
    region = Region.objects.visible_to(user).filter(code=area_code).first()
    if region is None:
        raise Http404
    if region.level not in (Level.DISTRICT, Level.TOWN):
        raise ValidationError({"area": [_("Statistics are exported for a district or a town.")]})
    if region.pk not in {a.pk for a in export_areas(user)}:
        raise Http404
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=kind,
            params={
                "date": day.isoformat(),
                "language": translation.get_language() or settings.LANGUAGE_CODE,
            },
            area=region,
            requested_by=user,
        )
        job_id = str(job.pk)

        def enqueue() -> None:
            from exports.tasks import run_export_job

            run_export_job.delay(job_id)

        transaction.on_commit(enqueue)
    return job


def _progress_writer(
    job_id: Any, interval: float = PROGRESS_INTERVAL
) -> Callable[[int, str], None]:
    """A progress callback writing the percentage at most every `interval` seconds."""
    last = {"at": -interval, "percent": -1}

    def report(percent: int, _step: str) -> None:
        percent = max(0, min(int(percent), 99))  # 100 is written with the result
        moment = time.monotonic()
        if percent == last["percent"] or moment - last["at"] < interval:
            return
        last.update(at=moment, percent=percent)
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(progress=percent)

    return report


def _build_statistics(job: ExportJob, out: Any, progress: Callable[[int, str], None]) -> Any:
    from stats.workbook import build_statistics_workbook

    user = job.requested_by
    scoping.forget_scope(user)
    if not user.is_active or job.area_id not in {a.pk for a in export_areas(user)}:
        raise ExportRefused(_("You no longer serve this region, so it cannot be exported."))
    on = datetime.date.fromisoformat(job.params["date"])
    return build_statistics_workbook(user=user, area=job.area, on=on, out=out, progress=progress)


BUILDERS: dict[str, Callable[[ExportJob, Any, Callable[[int, str], None]], Any]] = {
    ExportKind.STATISTICS: _build_statistics,
}


def _fail(job: ExportJob, message: str) -> None:
    finished = clock.now()
    if job.file:
        job.file.delete(save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.FAILED,
        message=message[:300],
        file="",
        finished_at=finished,
        expires_at=finished + EXPORT_LIFETIME,
    )


def run_export(job_id: Any, *, now: datetime.datetime | None = None) -> ExportJob | None:
    """Build the file of a queued job. The job is claimed by a conditional update, so a
    doubled or retried task finds nothing to do and returns None."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now or clock.now(), progress=0
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("area__parent", "requested_by").get(pk=job_id)
    try:
        language = job.params.get("language") or settings.LANGUAGE_CODE
        with translation.override(language), tempfile.TemporaryFile() as out:
            result = BUILDERS[job.kind](job, out, _progress_writer(job.pk))
            out.seek(0)
            job.file.save(f"{job.pk.hex}.xlsx", File(out), save=False)
    except ExportRefused as exc:
        _fail(job, str(exc))
    except Exception:
        logger.exception("Export job %s failed", job.pk)
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            _fail(
                job,
                _(
                    "The export failed because of an error on the server. Try again; if it "
                    "fails again, tell your system administrator."
                ),
            )
    else:
        finished = now or clock.now()
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportStatus.DONE,
                progress=100,
                message="",
                file=job.file.name,
                row_count=result.rows,
                sheet_count=result.sheets,
                finished_at=finished,
                expires_at=finished + EXPORT_LIFETIME,
            )
            AccessLog.objects.create(
                user=job.requested_by,
                action=AccessAction.EXPORT,
                scope=_log_scope(job, "built"),
                row_count=result.rows,
            )
    job.refresh_from_db()
    return job


def _log_scope(job: ExportJob, event: str) -> str:
    return f"{job.kind} {event} {job.area.code} {job.params.get('date', '')} job {job.pk}"


# --- Reading jobs --------------------------------------------------------------------------


def jobs_for(user: Any) -> ExportJobQuerySet:
    """The user's own jobs, in regions still in their scope, newest first."""
    return (
        ExportJob.objects.visible_to(user)
        .filter(requested_by_id=user.pk)
        .select_related("area")
        .order_by("-created_at")
    )


def job_or_404(user: Any, job_id: Any) -> ExportJob:
    return scoping.get_visible_or_404(jobs_for(user), user, pk=job_id)


def download(request: HttpRequest, job_id: Any, *, now: datetime.datetime) -> ExportJob:
    """The job whose file the requester downloads, access-logged; 404 when it is not theirs,
    out of scope, not ready or expired."""
    job = job_or_404(request.user, job_id)
    if not job.downloadable(now):
        raise Http404
    log_access(
        request, AccessAction.EXPORT, scope=_log_scope(job, "download"), row_count=job.row_count
    )
    return job


# --- Expiry --------------------------------------------------------------------------------


def purge_expired(now: datetime.datetime) -> int:
    """Delete the files of jobs past their expiry and mark them expired; mark jobs that lost
    their worker failed. Returns the number of jobs expired."""
    stale = ExportJob.objects.filter(
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING], created_at__lt=now - STALE_AFTER
    )
    for job in stale:
        _fail(job, _("The export did not finish. Request it again."))
    expired = list(
        ExportJob.objects.filter(
            status__in=[ExportStatus.DONE, ExportStatus.FAILED], expires_at__lte=now
        ).only("pk", "file")
    )
    for job in expired:
        if job.file:
            job.file.delete(save=False)
    return ExportJob.objects.filter(pk__in=[job.pk for job in expired]).update(
        status=ExportStatus.EXPIRED, file=""
    )
