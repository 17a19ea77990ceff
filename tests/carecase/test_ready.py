"""/ready/ (carecase.readiness): 200 only when the database answers with every migration
applied, the cache and broker work, a worker served every queue's heartbeat lately and the
daily sweep is not stale or failed; otherwise 503 with each check's one-word answer."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings

from carecase import readiness
from carecase.models import TaskRun, WorkerHeartbeat
from core import clock as app_clock

pytestmark = pytest.mark.django_db


def beats(age: datetime.timedelta = datetime.timedelta(0), **ages: datetime.timedelta) -> None:
    """A heartbeat on every queue, `age` old (or as `ages` says for one queue)."""
    now = app_clock.now()
    for queue in settings.CELERY_QUEUE_NAMES:
        WorkerHeartbeat.objects.update_or_create(
            name=queue, defaults={"last_seen": now - ages.get(queue, age)}
        )


def get(client):
    response = client.get("/ready/")
    return response.status_code, response.json()


def test_ready_when_every_check_passes_signed_out(client):
    beats()
    status, body = get(client)
    assert (status, body["ready"]) == (200, True)
    # The replica's check is advisory (tests/carecase/test_replica.py: these tests run in a
    # transaction, which the replica's connection may not join).
    required = [name for name in readiness.CHECKS if name not in readiness.ADVISORY]
    assert {name: body["checks"][name] for name in required} == dict.fromkeys(required, "ok")
    assert client.get("/ready/")["Cache-Control"].startswith("max-age=0")


def test_no_worker_yet_is_not_ready(client):
    status, body = get(client)
    assert status == 503 and not body["ready"]
    assert body["checks"]["queues"] == "stale: " + ",".join(settings.CELERY_QUEUE_NAMES)
    assert body["checks"]["database"] == "ok"


def test_a_queue_whose_worker_stopped_makes_it_not_ready(client):
    limit = settings.HEARTBEAT_SECONDS * settings.READY_HEARTBEAT_FACTOR
    beats(exports=datetime.timedelta(seconds=limit + 1))
    status, body = get(client)
    assert (status, body["checks"]["queues"]) == (503, "stale: exports")
    beats(exports=datetime.timedelta(seconds=limit - 1))
    assert get(client)[0] == 200


def test_the_sweep_stale_or_failed_makes_it_not_ready(client):
    beats()
    now = app_clock.now()
    hours = datetime.timedelta(hours=settings.READY_SWEEP_HOURS)
    minute = datetime.timedelta(minutes=1)
    run = TaskRun.objects.create(name=readiness.SWEEP_TASK, succeeded_at=now - hours + minute)
    assert get(client)[0] == 200
    run.succeeded_at = now - hours - minute
    run.save()
    assert get(client)[1]["checks"]["sweep"] == "stale"
    run.succeeded_at = now - datetime.timedelta(hours=1)
    run.failed_at = now
    run.save()
    status, body = get(client)
    assert (status, body["checks"]["sweep"]) == (503, "failed")
    # A sweep that failed on a new installation, never having succeeded, is a failure too.
    TaskRun.objects.filter(pk=run.pk).update(succeeded_at=None)
    assert get(client)[1]["checks"]["sweep"] == "failed"


def test_a_database_down_answers_503_without_details(client, monkeypatch):
    beats()

    def refused() -> str:
        raise OSError("connection to server at 10.0.0.5 refused")

    monkeypatch.setitem(readiness.CHECKS, "database", refused)
    status, body = get(client)
    assert status == 503
    assert body["checks"]["database"] == "down"
    assert {body["checks"][name] for name in readiness.NEEDS_DATABASE} == {"unknown"}
    assert "10.0.0.5" not in str(body)


def test_unapplied_migrations_make_it_not_ready(client, monkeypatch):
    beats()
    monkeypatch.setattr(readiness, "_migrated", False)
    monkeypatch.setattr(
        readiness.MigrationExecutor, "migration_plan", lambda self, targets: [("app", False)]
    )
    assert get(client)[1]["checks"]["migrations"] == "unapplied"
