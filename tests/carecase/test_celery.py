"""Celery: the health tasks, and a real worker consuming from Redis (CI sets REDIS_URL)."""

import os

import pytest
from django.conf import settings

from carecase.celery import app
from carecase.models import TaskRun, WorkerHeartbeat
from carecase.tasks import heartbeat, ping


def test_ping_runs_in_process():
    assert ping.delay().get(timeout=5) == "pong"


@pytest.mark.django_db
def test_heartbeat_records_the_worker():
    heartbeat.delay()
    assert WorkerHeartbeat.objects.get(name="default").hostname
    # Run in process (eagerly), a task is not recorded as a worker's run.
    assert not TaskRun.objects.exists()


def test_beat_sends_a_heartbeat_to_each_queue():
    sent = {
        entry["options"]["queue"]: entry["args"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == heartbeat.name
    }
    assert sent == {queue: (queue,) for queue in settings.CELERY_QUEUE_NAMES}


def test_embedded_default_needs_no_server():
    if os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is set: the broker is Redis here")
    assert settings.CELERY_BROKER_URL == "filesystem://"


@pytest.mark.celery_redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_executes_a_task_through_redis(settings, redis_celery):
    """Start a real Celery worker on the Redis broker and have it run the heartbeat."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = heartbeat.apply_async(kwargs={"name": "redis-test"})
        assert result.get(timeout=30)
        assert ping.apply_async().get(timeout=30) == "pong"
    assert WorkerHeartbeat.objects.filter(name="redis-test").exists()
    # The worker recorded its runs (carecase.celery's signals), a failure with its error.
    run = TaskRun.objects.get(name=heartbeat.name)
    assert run.succeeded_at and run.started_at and run.seconds is not None
    assert not run.failed_at
    with (
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
        pytest.raises(Exception, match=r"NOT NULL|null value"),
    ):
        heartbeat.apply_async(kwargs={"name": None}).get(timeout=30)
    run.refresh_from_db()
    assert run.failed_at and run.failed_at >= run.succeeded_at
    assert run.error.startswith("IntegrityError (carecase/tasks.py:")
    assert "null" not in run.error.lower()  # the type and place, never the message
