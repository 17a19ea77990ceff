"""Health tasks proving a Celery worker runs."""

from __future__ import annotations

import socket

from celery import shared_task

from core import clock


@shared_task(name="carecase.tasks.ping")
def ping() -> str:
    return "pong"


@shared_task(name="carecase.tasks.heartbeat")
def heartbeat(name: str = "default") -> str:
    """The worker serving queue `name` is alive (beat sends one to each queue)."""
    from carecase.models import WorkerHeartbeat

    now = clock.now()
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": now, "hostname": socket.gethostname()}
    )
    return now.isoformat()
