"""Running export jobs (the Celery tasks' work): building a queued job's file once, with its
progress, and purging expired files. A job is built for its requester, in their name, only
while the area is still in their scope."""

from __future__ import annotations

import datetime
import logging
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from children import national
from children.models import AccessAction, AccessLog
from core import clock, faults, permissions, scoping, storage
from core.replica import primary_reading, replica_reading
from exports import roster
from exports.models import (
    EXPORT_LIFETIME,
    ExportJob,
    ExportKind,
    ExportStatus,
    NationalExport,
    NationalMode,
)
from exports.selectors import export_areas, last_national_export, log_scope
from org.models import Region
from stats.workbook import build_statistics_workbook

logger = logging.getLogger(__name__)

# Progress is written to the database at most this often (seconds), and only when it moved.
PROGRESS_INTERVAL = 1.0
# A job still queued after this long lost its message (or the broker never took it): it is
# marked failed. A job running longer than EXPORT_RUNNING_TIMEOUT_SECONDS lost its worker
# (killed, its host gone): marked failed with the reason, so its page never says "being
# prepared" for ever; one queued longer than EXPORT_REQUEUE_SECONDS is queued again (the
# claim makes a second message harmless). README, "Faults".
STALE_AFTER = datetime.timedelta(hours=6)


class ExportRefused(Exception):
    """A reason, fit to show the requester, why a queued job cannot be built."""


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
    on = datetime.date.fromisoformat(job.params["date"])
    return build_statistics_workbook(
        user=job.requested_by, area=job.area, on=on, out=out, progress=progress
    )


@dataclass
class NationalBuilt:
    """A national-system export as built, with what its ledger row records."""

    result: national.NationalResult
    mode: str
    as_of: datetime.datetime
    since: NationalExport | None
    full_ids: bool

    @property
    def rows(self) -> int:
        return self.result.rows

    @property
    def sheets(self) -> int:
        return self.result.sheets


def _build_national(
    job: ExportJob, out: Any, progress: Callable[[int, str], None]
) -> NationalBuilt:
    user = job.requested_by
    full_ids = permissions.can_export_identifier(user)
    area = scoping.Scope.of_prefixes([job.area.prefix])
    # Read before the archive is: a change made while the file is written is in the next
    # "changes" export (perhaps twice), never in none.
    as_of = clock.now()
    mode = job.params.get("mode", NationalMode.FULL)
    since = None
    if mode == NationalMode.CHANGES:
        since = last_national_export(job.area)
        if since is None:
            raise ExportRefused(
                _("This region has not been exported yet: export every child first.")
            )
        rows: Any = national.national_changes(
            user=user, area=area, since=since.as_of, full_ids=full_ids, progress=progress
        )
    else:
        rows = national.national_rows(user=user, area=area, full_ids=full_ids, progress=progress)
    result = national.write_national(rows, out, changes=mode == NationalMode.CHANGES)
    return NationalBuilt(result=result, mode=mode, as_of=as_of, since=since, full_ids=full_ids)


BUILDERS: dict[str, Callable[[ExportJob, Any, Callable[[int, str], None]], Any]] = {
    ExportKind.STATISTICS: _build_statistics,
    ExportKind.NATIONAL: _build_national,
    ExportKind.ROSTER: roster.build_roster,
}


def _still_serves(job: ExportJob, user: Any) -> bool:
    """The requester still serves the job's area: a roster's region is still in their scope,
    a workbook's area still one they may export."""
    if not user.is_active:
        return False
    if job.kind == ExportKind.ROSTER:
        return Region.objects.visible_to(user).filter(pk=job.area_id).exists()
    return job.area_id in {a.pk for a in export_areas(user)}


# Access-log rows per child are written in batches of this many (one INSERT each).
LOG_BATCH = 2000


def _record_national(job: ExportJob, built: NationalBuilt) -> None:
    """The ledger row and one access-log row per child exported (R20: whose data left)."""
    counts = built.result.counts
    NationalExport.objects.create(
        job=job,
        area=job.area,
        exported_by=job.requested_by,
        mode=built.mode,
        since=built.since,
        as_of=built.as_of,
        children=built.rows,
        new_count=counts.get(national.NEW, 0),
        changed_count=counts.get(national.CHANGED, 0),
        closed_count=counts.get(national.CLOSED, 0),
        full_ids=built.full_ids,
        file_name=job.download_name(),
    )
    scope = f"{log_scope(job, 'built')} ids={'full' if built.full_ids else 'masked'}"
    AccessLog.objects.bulk_create(
        (
            AccessLog(
                user=job.requested_by,
                action=AccessAction.EXPORT,
                child_id=pk,
                scope=scope[:300],
                row_count=1,
            )
            for pk in built.result.child_ids
        ),
        batch_size=LOG_BATCH,
    )


RECORDERS: dict[str, Callable[[ExportJob, Any], None]] = {
    ExportKind.NATIONAL: _record_national,
}


# The kinds built from the read replica, once it has replayed the request. A national
# "changes" export reads the history up to its `as_of` instant, and the next one from there:
# a change still on its way to the replica would be in neither, so national files read the
# primary.
REPLICA_KINDS = (ExportKind.STATISTICS, ExportKind.ROSTER)


def _reading(job: ExportJob) -> AbstractContextManager[None]:
    if job.kind in REPLICA_KINDS:
        return replica_reading(since=job.created_at)
    return primary_reading()


def _fail(job: ExportJob, message: str) -> None:
    finished = clock.now()
    if job.file:
        storage.discard(job.file.storage, job.file.name)
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
    faults.pause_point("export.running")
    try:
        language = job.params.get("language") or settings.LANGUAGE_CODE
        with translation.override(language), tempfile.TemporaryFile() as out:
            user = job.requested_by
            scoping.forget_scope(user)
            if not _still_serves(job, user):
                raise ExportRefused(_("You no longer serve this region, so it cannot be exported."))
            with _reading(job):
                result = BUILDERS[job.kind](job, out, _progress_writer(job.pk))
            out.seek(0)
            # Built in the system's temporary directory, then kept in the file storage.
            storage.save_file(job.file, f"{job.pk.hex}.{job.suffix}", File(out))
    except ExportRefused as exc:
        _fail(job, str(exc))
    except storage.StorageUnavailable:
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            _fail(
                job,
                _(
                    "The export file could not be saved: the file storage is full or "
                    "unavailable. Request the export again later; if it keeps failing, tell "
                    "your system administrator."
                ),
            )
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
            # Still ours: a job failed meanwhile as stalled (fail_stalled) stays failed.
            done = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
                status=ExportStatus.DONE,
                progress=100,
                message="",
                file=job.file.name,
                row_count=result.rows,
                sheet_count=result.sheets,
                finished_at=finished,
                expires_at=finished + EXPORT_LIFETIME,
            )
            if not done:
                transaction.on_commit(lambda: storage.discard(job.file.storage, job.file.name))
                job.refresh_from_db()
                return job
            AccessLog.objects.create(
                user=job.requested_by,
                action=AccessAction.EXPORT,
                scope=log_scope(job, "built"),
                row_count=result.rows,
            )
            record = RECORDERS.get(job.kind)
            if record is not None:
                record(job, result)
    job.refresh_from_db()
    return job


def fail_stalled(now: datetime.datetime) -> list[str]:
    """Mark failed the jobs that lost their worker or their message (above); returns the ids
    of the jobs queued long enough to be queued again."""
    running_for = datetime.timedelta(seconds=settings.EXPORT_RUNNING_TIMEOUT_SECONDS)
    for job in ExportJob.objects.filter(
        status=ExportStatus.RUNNING, started_at__lt=now - running_for
    ):
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            message = _(
                "The export stopped while it was being prepared (the server's background "
                "worker was interrupted). Request it again."
            )
        _fail_if(job, ExportStatus.RUNNING, message)
    for job in ExportJob.objects.filter(
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING], created_at__lt=now - STALE_AFTER
    ):
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            message = _("The export did not finish. Request it again.")
        _fail_if(job, job.status, message)
    waited = datetime.timedelta(seconds=settings.EXPORT_REQUEUE_SECONDS)
    return [
        str(pk)
        for pk in ExportJob.objects.filter(
            status=ExportStatus.QUEUED, created_at__lt=now - waited
        ).values_list("pk", flat=True)
    ]


def _fail_if(job: ExportJob, status: str, message: str) -> None:
    """Fail `job` if it is still in `status` (a worker may finish it meanwhile)."""
    with transaction.atomic():
        if ExportJob.objects.select_for_update().filter(pk=job.pk, status=status).exists():
            _fail(job, message)


def purge_expired(now: datetime.datetime) -> int:
    """Delete the files of jobs past their expiry and mark them expired; mark jobs that lost
    their worker failed (fail_stalled). Returns the number of jobs expired."""
    fail_stalled(now)
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
