"""Celery: the health tasks, and a real worker consuming from Redis (CI sets REDIS_URL)."""

import os

import pytest
from django.conf import settings

from carecase.celery import app
from carecase.models import WorkerHeartbeat
from carecase.tasks import heartbeat, ping


def test_ping_runs_in_process():
    assert ping.delay().get(timeout=5) == "pong"


@pytest.mark.django_db
def test_heartbeat_records_the_worker():
    heartbeat.delay()
    assert WorkerHeartbeat.objects.get(name="worker").hostname


def test_beat_schedules_the_heartbeat():
    assert settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["task"] == heartbeat.name


def test_embedded_default_needs_no_server():
    if os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is set: the broker is Redis here")
    assert settings.CELERY_BROKER_URL == "filesystem://"


@pytest.mark.celery_redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_executes_a_task_through_redis(settings):
    """Start a real Celery worker on the Redis broker and have it run the heartbeat."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("CI must set REDIS_URL so a real worker runs through Redis")
        pytest.skip("REDIS_URL is not set")
    from celery.contrib.testing.worker import start_worker

    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app.conf.result_backend = redis_url
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            result = heartbeat.apply_async(kwargs={"name": "redis-test"})
            assert result.get(timeout=30)
            assert ping.apply_async().get(timeout=30) == "pong"
        assert WorkerHeartbeat.objects.filter(name="redis-test").exists()
    finally:
        app.conf.task_always_eager = True
