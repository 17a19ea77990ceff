"""Reads for the pages of the top package: the worker's heartbeat (home page, health
endpoint), the sign-in attempts that may still lock someone out (security pages)."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet

from carecase.models import WorkerHeartbeat
from core import clock


def worker_heartbeat() -> WorkerHeartbeat | None:
    """The latest heartbeat of any Celery worker, if one ever ran."""
    return WorkerHeartbeat.objects.order_by("-last_seen").first()


def queue_heartbeats() -> dict[str, WorkerHeartbeat]:
    """The last heartbeat of each queue's worker (carecase.tasks.heartbeat), by queue."""
    return {beat.name: beat for beat in WorkerHeartbeat.objects.all()}


def lockout_attempts() -> QuerySet[AccessAttempt]:
    """Failed sign-ins within the lockout's cool-off time, newest first."""
    since = clock.now() - settings.AXES_COOLOFF_TIME
    attempts: QuerySet[AccessAttempt] = AccessAttempt.objects.filter(attempt_time__gte=since)
    return attempts.order_by("-attempt_time")
