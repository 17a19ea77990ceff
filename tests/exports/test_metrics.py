"""An export job's time by kind and outcome (core.metrics), recorded when its task ends."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from core import clock as app_clock
from exports import services
from exports.models import ExportJob, ExportStatus
from exports.tasks import run_export_job
from tests.factories import JINGGUAN, ZHIDA, make_child

pytestmark = pytest.mark.django_db
NAME = "carecase_export_duration_seconds_count"


def count(**labels):
    return REGISTRY.get_sample_value(NAME, labels) or 0.0


def test_a_built_job_counts_as_done_and_a_second_delivery_not_at_all(
    people, django_capture_on_commit_callbacks
):
    make_child(people["director"], ZHIDA)
    done = count(kind="statistics", outcome="done")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.export_request(
            user=people["supervisor"],
            kind="statistics",
            area_code=JINGGUAN,
            params={"date": app_clock.today()},
            today=app_clock.today(),
        )
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert count(kind="statistics", outcome="done") - done == 1
    assert run_export_job(str(job.pk)) == "skipped"  # claimed already: not counted again
    assert count(kind="statistics", outcome="done") - done == 1


def test_a_refused_job_counts_as_failed(people):
    failed = count(kind="statistics", outcome="failed")
    job = ExportJob.objects.create(
        requested_by=people["supervisor"],
        kind="statistics",
        area=people["other_supervisor"].assignments.get().region,
        params={"date": app_clock.today().isoformat()},
    )
    assert run_export_job(str(job.pk)) == ExportStatus.FAILED
    assert count(kind="statistics", outcome="failed") - failed == 1
