"""A mandatory report's alert is never held up by exports (issue 19): the alerts travel on
their own Celery queue, so with every export worker busy (here: none consuming the exports
queue at all) the SMS copies still go out at once through a real worker and Redis, and the
export is built when an export worker takes it."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.conf import settings

from carecase.celery import app
from core import clock as app_clock
from exports import services
from exports.models import ExportJob, ExportStatus
from notifications.models import Delivery, SendStatus
from tests.factories import JINGGUAN, ZHIDA, make_child
from tests.reports.conftest import file


def route(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_each_task_has_the_queue_of_its_kind():
    app.loader.import_default_modules()
    # The project's tasks (not Celery's own, nor the ones a test defines for itself).
    names = {n for n in app.tasks if not n.startswith(("celery.", "tests."))}
    assert {route(n) for n in names} <= set(settings.CELERY_QUEUE_NAMES)
    alerts = {n for n in names if route(n) == "alerts"}
    assert alerts == {
        "notifications.tasks.send_deliveries",
        "notifications.tasks.retry_deliveries",
        "reports.tasks.escalate_overdue_reports",
    }
    assert route("exports.tasks.run_export_job") == "exports"
    assert route("duplicates.tasks.run_duplicate_list") == "exports"
    assert route("matching.tasks.import_list") == "imports"
    assert route("notifications.tasks.send_reminders") == "sweeps"
    assert route("stats.tasks.snapshot_regions") == "sweeps"
    # Heartbeats only on the default queue; nothing long lands there.
    assert {n for n in names if route(n) == "default"} == {
        "carecase.tasks.heartbeat",
        "carecase.tasks.ping",
    }


def waiting(queue: str) -> int:
    """Messages waiting on a queue of the Redis broker (a list named after the queue)."""
    with app.connection_for_write() as connection:
        return int(connection.default_channel.client.llen(queue))


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.celery_redis
@pytest.mark.django_db(transaction=True)
def test_an_alert_goes_out_while_the_exports_wait(people, sms, redis_celery):
    from celery.contrib.testing.worker import start_worker

    child = make_child(people["director"], ZHIDA)
    with start_worker(
        app, pool="solo", queues=["alerts"], perform_ping_check=False, shutdown_timeout=10
    ):
        # The district's long export is queued first; no export worker is free.
        job = services.export_request(
            user=people["supervisor"],
            kind="statistics",
            area_code=JINGGUAN,
            params={"date": app_clock.today()},
            today=app_clock.today(),
        )
        report = file(people["director"], child)
        copies = Delivery.objects.filter(notification__child_id=report.child_id)
        assert copies.exists()
        assert wait_for(lambda: not copies.exclude(status=SendStatus.SENT).exists(), seconds=20), (
            list(copies.values_list("status", flat=True))
        )
        assert {phone for phone, _text in sms.sent} == set(copies.values_list("address", flat=True))
        job.refresh_from_db()
        assert job.status == ExportStatus.QUEUED  # still waiting for an export worker
        # The export's one message waits on its own queue, the alerts' on none.
        assert waiting("exports") == 1
        assert waiting("alerts") == 0
    with start_worker(
        app, pool="solo", queues=["exports"], perform_ping_check=False, shutdown_timeout=10
    ):
        assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).finished, seconds=60)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.message
