"""The export job end to end through a real Celery worker and Redis (CI sets REDIS_URL)."""

from __future__ import annotations

import time

import pytest
from openpyxl import load_workbook

from carecase.celery import app
from children.models import AccessLog
from core import clock as app_clock
from exports import services
from exports.models import ExportJob, ExportStatus
from tests.factories import JINGGUAN, ZHIDA, make_child


@pytest.mark.celery_redis
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_real_worker_builds_the_workbook_through_redis(people, redis_celery):
    from celery.contrib.testing.worker import start_worker

    make_child(people["director"], ZHIDA, categories=["rural_left_behind", "poverty"])
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # Outside a transaction the job is committed at once and queued on commit.
        job = services.export_request(
            user=people["supervisor"],
            kind="statistics",
            area_code=JINGGUAN,
            params={"date": app_clock.today()},
            today=app_clock.today(),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.finished:
                break
            time.sleep(0.2)
    assert job.status == ExportStatus.DONE, job.message
    with job.file.open("rb") as handle:
        book = load_workbook(handle)
    assert len(book.sheetnames) == 9
    figures = list(book.worksheets[1].iter_rows(values_only=True))
    assert figures[-1][1] == 1  # one rural left-behind child in the town
    assert AccessLog.objects.filter(user=people["supervisor"], action="export").count() == 1
    assert ExportJob.objects.get().progress == 100
