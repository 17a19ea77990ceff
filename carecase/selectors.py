"""Reads of the project's own tables (the home page and the health endpoint)."""

from __future__ import annotations

from carecase.models import WorkerHeartbeat


def worker_heartbeat(name: str = "worker") -> WorkerHeartbeat | None:
    """The last heartbeat of the Celery worker `name`, if it ever ran."""
    return WorkerHeartbeat.objects.filter(name=name).first()
