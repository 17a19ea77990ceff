"""Log retention (carecase.log_archive): the months older than LOG_RETENTION_DAYS archived to
the file storage, read back and verified, then purged (a partition dropped on PostgreSQL, rows
deleted under a permit elsewhere); once; resumed after an interruption; nothing deleted when
the file does not match. The storage's failures: tests/storage/test_log_archive_storage.py."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json

import pytest
from django.core import checks
from django.db import connection

from carecase import log_archive
from carecase.models import LogArchive
from carecase.task_views import scheduled_tasks
from children.models import AccessLog
from core import calendar
from core import clock as app_clock
from org import append_only, log_partitions
from org.models import AdminAction, AdminLogEntry
from tests.org.test_log_partitions import insert

pytestmark = pytest.mark.django_db


def first_kept_month() -> datetime.date:
    """The earliest month with a day younger than the retention: it and later are kept."""
    cutoff = app_clock.today() - datetime.timedelta(days=180)
    return cutoff.replace(day=1)


def mid(month: datetime.date) -> datetime.datetime:
    return log_partitions.month_start(month) + datetime.timedelta(days=9, hours=3)


def months(n: int) -> datetime.date:
    return calendar.add_months(first_kept_month(), n)


@pytest.fixture
def old_rows():
    """Rows of both logs in the two months before the first kept one, in it and now."""
    if connection.vendor == "postgresql":
        # Those old months as partitions, as they were when they were current.
        log_partitions.partitions_ensure(months(-2), months_ahead=2)
    ids = {}
    for table in (append_only.ACCESS_LOG, append_only.ADMIN_LOG):
        ids[table] = {
            n: [insert(table, mid(months(n)), f"m{n}"), insert(table, mid(months(n)), f"m{n}b")]
            for n in (-2, -1, 0)
        }
    return ids


def archived() -> set[tuple[str, datetime.date]]:
    return set(LogArchive.objects.values_list("kind", "month"))


def test_old_months_are_archived_verified_and_purged_once(old_rows):
    done = log_archive.archive_logs(today=app_clock.today(), now=app_clock.now())
    assert {(a.kind, a.month) for a in done} == {
        (kind, months(n)) for kind in ("access", "admin") for n in (-2, -1)
    }
    # The kept month's rows and today's are there; the archived months' are gone.
    kept = AccessLog.objects.filter(scope__in=["m0", "m0b"]).count()
    assert kept == 2
    assert not AccessLog.objects.filter(scope__startswith="m-").exists()
    assert not AdminLogEntry.objects.filter(target__startswith="m-").exists()
    # Each file reads back: header, the rows by id, the digest recorded.
    for archive in LogArchive.objects.all():
        assert archive.rows == 2 and archive.purged_at is not None
        with archive.file.open("rb") as stored:
            packed = stored.read()
        assert hashlib.sha256(packed).hexdigest() == archive.sha256
        lines = gzip.decompress(packed).decode().splitlines()
        header = json.loads(lines[0])
        log = log_archive.LOGS[archive.kind]
        assert header == {
            "log": archive.kind,
            "month": f"{archive.month:%Y-%m}",
            "columns": log_archive.columns(log),
        }
        table = log.table
        n = -2 if archive.month == months(-2) else -1
        assert [json.loads(line)[0] for line in lines[1:]] == old_rows[table][n]
    entries = AdminLogEntry.objects.filter(action=AdminAction.ARCHIVE_LOG)
    assert entries.count() == 4
    assert {e.after["month"] for e in entries} == {f"{months(n):%Y-%m}" for n in (-2, -1)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            partitions = log_partitions.month_partitions(cursor, append_only.ACCESS_LOG)
        assert months(-1) not in partitions and months(0) in partitions
    # A rerun finds nothing to do: no file, no archive, no entry.
    assert log_archive.archive_logs(today=app_clock.today(), now=app_clock.now()) == []
    assert LogArchive.objects.count() == 4 and entries.count() == 4


def test_a_longer_retention_keeps_more(old_rows, settings):
    settings.LOG_RETENTION_DAYS = 400
    log_archive.archive_logs(today=app_clock.today(), now=app_clock.now())
    assert not LogArchive.objects.exists()
    assert AccessLog.objects.filter(scope__startswith="m-").count() == 4


def test_a_run_interrupted_after_the_file_resumes(old_rows):
    written = log_archive.archive_write(kind="access", month=months(-1), now=app_clock.now())
    assert AccessLog.objects.filter(scope__startswith="m-1").count() == 2
    log_archive.archive_logs(today=app_clock.today(), now=app_clock.now())
    again = LogArchive.objects.get(kind="access", month=months(-1))
    assert (again.pk, again.file.name, again.sha256) == (
        written.pk,
        written.file.name,
        written.sha256,
    )
    assert again.purged_at is not None
    assert not AccessLog.objects.filter(scope__startswith="m-1").exists()


def test_nothing_is_purged_when_the_rows_do_not_match_the_file(old_rows):
    log_archive.archive_write(kind="access", month=months(-1), now=app_clock.now())
    insert(append_only.ACCESS_LOG, mid(months(-1)), "m-1 late")
    with pytest.raises(log_archive.ArchiveMismatch):
        log_archive.archive_logs(today=app_clock.today(), now=app_clock.now())
    assert AccessLog.objects.filter(scope__startswith="m-1").count() == 3
    entries = AdminLogEntry.objects.filter(action=AdminAction.ARCHIVE_LOG)
    assert f"{months(-1):%Y-%m}" not in {e.after["month"] for e in entries}
    assert LogArchive.objects.get(kind="access", month=months(-1)).purged_at is None


def test_a_changed_file_is_never_purged_from(old_rows):
    archive = log_archive.archive_write(kind="admin", month=months(-2), now=app_clock.now())
    archive.file.storage.delete(archive.file.name)
    archive.file.storage.save(archive.file.name, gzip_bytes(b'{"log": "admin"}\n'))
    with pytest.raises(log_archive.ArchiveMismatch):
        log_archive.archive_verify(archive)
    assert AdminLogEntry.objects.filter(target__startswith="m-2").count() == 2


def gzip_bytes(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(gzip.compress(data))


def test_retention_below_180_days_is_a_system_check_error(settings):
    settings.LOG_RETENTION_DAYS = 179
    errors = [m for m in checks.run_checks() if m.id == "carecase.E101"]
    assert len(errors) == 1 and errors[0].level == checks.ERROR
    settings.LOG_RETENTION_DAYS = 180
    assert not [m for m in checks.run_checks() if m.id == "carecase.E101"]


def test_both_tasks_are_scheduled_and_listed():
    names = {task.name: task for task in scheduled_tasks()}
    assert names["carecase.tasks.archive_logs"].queue == "sweeps"
    assert names["carecase.tasks.create_log_partitions"].queue == "sweeps"
