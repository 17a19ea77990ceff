"""Log archives in the object store (S3 via moto): written and read back there; with the
store down nothing is recorded or deleted, and a real worker's run of the task is recorded
as failed (carecase.models.TaskRun), to succeed on the next run."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from carecase import log_archive
from carecase.celery import app
from carecase.models import LogArchive, TaskRun
from carecase.tasks import archive_logs
from children.models import AccessLog
from core import calendar
from core import clock as app_clock
from core.storage import StorageUnavailable
from org import append_only, log_partitions
from tests.org.test_log_partitions import insert
from tests.storage.conftest import s3_storage

pytestmark = pytest.mark.django_db(transaction=True)


def old_month() -> datetime.date:
    cutoff = app_clock.today() - datetime.timedelta(days=180)
    return calendar.add_months(cutoff.replace(day=1), -1)


def old_row() -> int:
    at = log_partitions.month_start(old_month()) + datetime.timedelta(days=3)
    return insert(append_only.ACCESS_LOG, at, "old")


def test_the_archive_is_written_to_the_bucket_and_read_back(bucket):
    old_row()
    done = log_archive.archive_logs(today=app_clock.today(), now=app_clock.now())
    assert [(a.kind, a.rows) for a in done] == [("access", 1)]
    assert bucket.keys() == [done[0].file.name]
    assert bucket.local_files() == []
    assert not AccessLog.objects.filter(scope="old").exists()


def test_storage_down_deletes_nothing_and_fails_visibly(dead_storage):
    old_row()
    with pytest.raises(StorageUnavailable):
        log_archive.archive_logs(today=app_clock.today(), now=app_clock.now())
    assert not LogArchive.objects.exists()
    assert AccessLog.objects.filter(scope="old").count() == 1


@pytest.mark.celery_redis
def test_a_worker_run_with_the_store_down_is_recorded_failed_then_retried(
    redis_celery, s3_endpoint, settings, tmp_path
):
    from celery.contrib.testing.worker import start_worker

    from tests.storage.conftest import free_port

    old_row()
    settings.MEDIA_ROOT = tmp_path / "media"
    down = {**settings.STORAGES, "default": s3_storage(f"http://127.0.0.1:{free_port()}", "x")}
    with (
        override_settings(STORAGES=down),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
        pytest.raises(Exception),  # noqa: B017 - the worker's error, as Celery returns it
    ):
        archive_logs.apply_async().get(timeout=60)
    run = TaskRun.objects.get(name=archive_logs.name)
    # The failure names the place in the project's code that raised it (core.storage), never
    # its message (TaskRun).
    assert run.failing and "(core/storage.py:" in run.error
    assert AccessLog.objects.filter(scope="old").count() == 1
    # The next run, with the storage back (the filesystem here), archives and purges.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert archive_logs.apply_async().get(timeout=60) == 1
    run.refresh_from_db()
    assert not run.failing
    assert not AccessLog.objects.filter(scope="old").exists()
