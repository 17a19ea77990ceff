"""Health tasks proving a Celery worker runs."""

from __future__ import annotations

import socket

from celery import shared_task

from carecase import log_archive
from core import clock
from org import log_partitions


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


@shared_task(name="carecase.tasks.create_log_partitions")
def create_log_partitions() -> list[str]:
    """The logs' partitions of this month and the next ones (PostgreSQL); idempotent."""
    return log_partitions.partitions_ensure(clock.today())


@shared_task(name="carecase.tasks.archive_logs")
def archive_logs() -> int:
    """Archive, verify and purge the logs' months older than LOG_RETENTION_DAYS; a rerun
    does nothing, a failure deletes nothing (carecase.log_archive)."""
    return len(log_archive.archive_logs(today=clock.today(), now=clock.now()))
