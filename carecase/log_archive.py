"""Log retention (等保2.0 三级, issue 19): every whole month of the access log and of the
administrators' log older than LOG_RETENTION_DAYS is archived to the file storage, then purged.

For each log and month, in this order, each step safe to repeat:

1. `archive_write`: the month's rows, by id, as a gzipped JSON-lines file (line 1: the log,
   the month and the column names; then one JSON array a row) through the storage, and a
   `LogArchive` row with the month, log, row count, SHA-256 and storage name. A month already
   written is not written again (a run interrupted after this step resumes at step 2).
2. `archive_verify`: the file read back from the storage: its SHA-256, its header and its row
   count must be the archive's, and the count the rows the log still holds for the month.
3. `archive_purge`: in one transaction, on PostgreSQL the month's partition detached and
   dropped (org.log_partitions), elsewhere (or for rows of the DEFAULT partition) the rows
   deleted under a purge permit (org.append_only); the archive marked purged and one entry in
   the administrators' log.

Storage down, a file that does not read back the same, or rows that do not match: the step
raises, nothing is deleted, and the task fails visibly (carecase.models.TaskRun) to be retried
by the next run. `archive_logs` is the beat's task's service.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import connection, models, transaction
from django.utils import timezone

from carecase.models import LogArchive, LogKind
from children.models import AccessLog
from core import calendar, storage
from org import adminlog, append_only, log_partitions
from org.models import AdminAction, AdminLogEntry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Log:
    kind: str
    model: type[models.Model]
    table: str


LOGS = {
    LogKind.ACCESS: Log(LogKind.ACCESS, AccessLog, append_only.ACCESS_LOG),
    LogKind.ADMIN: Log(LogKind.ADMIN, AdminLogEntry, append_only.ADMIN_LOG),
}
CHUNK = 2000


class ArchiveMismatch(RuntimeError):
    """The file read back is not what was written, or the log holds other rows: no purge."""


def columns(log: Log) -> list[str]:
    return [f.attname for f in log.model._meta.concrete_fields]


def _month_rows(log: Log, month: datetime.date) -> models.QuerySet[Any]:
    lower = log_partitions.month_start(month)
    upper = log_partitions.month_start(log_partitions.next_month(month))
    rows: models.QuerySet[Any] = log.model._base_manager.filter(at__gte=lower, at__lt=upper)
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def last_archivable_month(today: datetime.date) -> datetime.date:
    """The latest month wholly older than LOG_RETENTION_DAYS (its first day)."""
    cutoff = today - datetime.timedelta(days=settings.LOG_RETENTION_DAYS)
    return calendar.add_months(cutoff.replace(day=1), -1)


def archivable_months(log: Log, today: datetime.date) -> list[datetime.date]:
    """The months up to `last_archivable_month` that hold rows, or a partition, or an
    archive not yet purged."""
    last = last_archivable_month(today)
    upper = log_partitions.month_start(log_partitions.next_month(last))
    months: set[datetime.date] = set(
        LogArchive.objects.filter(
            kind=log.kind, purged_at__isnull=True, month__lte=last
        ).values_list("month", flat=True)
    )
    oldest = log.model._base_manager.filter(at__lt=upper).aggregate(m=models.Min("at"))["m"]
    if oldest is not None:
        month = timezone.localtime(oldest, timezone.get_default_timezone()).date().replace(day=1)
        while month <= last:
            if _month_rows(log, month).exists():
                months.add(month)
            month = log_partitions.next_month(month)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            partitions = log_partitions.month_partitions(cursor, log.table)
        months.update(m for m in partitions if m <= last)
    return sorted(months)


def _write_lines(log: Log, month: datetime.date, out: IO[bytes]) -> int:
    names = columns(log)
    count = 0
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed:
        header = {"log": log.kind, "month": f"{month:%Y-%m}", "columns": names}
        packed.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
        for row in _month_rows(log, month).order_by("id").values_list(*names).iterator(CHUNK):
            line = json.dumps([_plain(v) for v in row], ensure_ascii=False)
            packed.write(line.encode() + b"\n")
            count += 1
    return count


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while piece := stream.read(1 << 20):
        digest.update(piece)
    return digest.hexdigest()


def archive_write(*, kind: str, month: datetime.date, now: datetime.datetime) -> LogArchive:
    """The month's archive: the one already written, or the file written and recorded now.
    Raises StorageUnavailable when the storage refuses the file (nothing recorded)."""
    month = month.replace(day=1)
    existing = LogArchive.objects.filter(kind=kind, month=month).first()
    if existing is not None:
        return existing
    log = LOGS[LogKind(kind)]
    with tempfile.TemporaryFile() as out:
        count = _write_lines(log, month, out)
        out.seek(0)
        sha256 = _sha256(out)
        out.seek(0)
        archive = LogArchive(kind=kind, month=month, rows=count, sha256=sha256, created_at=now)
        storage.save_file(archive.file, f"{month:%Y-%m}.jsonl.gz", File(out))
    try:
        archive.save()
    except Exception:
        storage.discard(archive.file.storage, archive.file.name)
        raise
    return archive


def read_archive(archive: LogArchive) -> Iterator[list[Any]]:
    """The archive's rows as written (the header line checked against the archive)."""
    with archive.file.open("rb") as stored, gzip.GzipFile(fileobj=stored) as lines:
        header = json.loads(lines.readline())
        if header.get("log") != archive.kind or header.get("month") != f"{archive.month:%Y-%m}":
            raise ArchiveMismatch(f"{archive}: the file's header names {header!r}.")
        yield header["columns"]
        for line in lines:
            yield json.loads(line)


def archive_verify(archive: LogArchive) -> None:
    """The file read back: its SHA-256 and row count are the archive's, and the log holds
    that many rows of the month (none once purged). Raises ArchiveMismatch, or the storage's
    error when it cannot be read."""
    with archive.file.open("rb") as stored:
        sha256 = _sha256(stored)
    if sha256 != archive.sha256:
        raise ArchiveMismatch(f"{archive}: SHA-256 {sha256} read back, {archive.sha256} written.")
    rows = read_archive(archive)
    header = next(rows)
    read = sum(1 for _ in rows)
    if read != archive.rows:
        raise ArchiveMismatch(f"{archive}: {read} rows read back, {archive.rows} written.")
    log = LOGS[LogKind(archive.kind)]
    if header != columns(log):
        raise ArchiveMismatch(f"{archive}: the file's columns are not the log's.")
    held = _month_rows(log, archive.month).count()
    if held not in (archive.rows, 0):
        raise ArchiveMismatch(f"{archive}: the log holds {held} rows, {archive.rows} archived.")


def archive_purge(*, archive_id: int, now: datetime.datetime) -> bool:
    """Purge a verified month (False: it was purged already, nothing held)."""
    with transaction.atomic():
        archive = LogArchive.objects.select_for_update().get(pk=archive_id)
        log = LOGS[LogKind(archive.kind)]
        rows = _month_rows(log, archive.month)
        held = rows.count()
        if held not in (archive.rows, 0):
            raise ArchiveMismatch(f"{archive}: the log holds {held} rows, {archive.rows} archived.")
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Checks deferred to the commit would stop DROP TABLE ("pending trigger
                # events") when the caller's transaction wrote rows: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            dropped = connection.vendor == "postgresql" and log_partitions.partition_drop(
                cursor, log.table, archive.month
            )
            if held and not dropped:
                lower = log_partitions.month_start(archive.month)
                upper = log_partitions.month_start(log_partitions.next_month(archive.month))
                with append_only.purge_permit(cursor, log.table):
                    cursor.execute(
                        f"DELETE FROM {log.table} WHERE at >= %s AND at < %s",  # noqa: S608
                        [lower, upper],
                    )
            elif not dropped and archive.purged_at is not None:
                return False
        first = archive.purged_at is None
        archive.purged_at = now
        archive.save(update_fields=["purged_at"])
        adminlog.record(
            by=None,
            action=AdminAction.ARCHIVE_LOG,
            target=archive,
            after={
                "log": archive.kind,
                "month": f"{archive.month:%Y-%m}",
                "rows": archive.rows,
                "sha256": archive.sha256,
                "file": archive.file.name,
                "again": not first,
            },
        )
    return True


def archive_logs(*, today: datetime.date, now: datetime.datetime) -> list[LogArchive]:
    """Archive and purge every month of both logs older than the retention; returns the
    archives purged by this run (none on a rerun)."""
    done = []
    for log in LOGS.values():
        for month in archivable_months(log, today):
            archive = archive_write(kind=log.kind, month=month, now=now)
            archive_verify(archive)
            if archive_purge(archive_id=archive.pk, now=now):
                done.append(archive)
                logger.info("Archived and purged %s (%d rows)", archive, archive.rows)
    return done
