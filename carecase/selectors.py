"""Reads for the pages of the top package: the worker's heartbeat (home page, health
endpoint), the sign-in attempts that may still lock someone out (security pages)."""

from __future__ import annotations

import datetime

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


def queue_workers() -> list[tuple[str, WorkerHeartbeat | None, bool]]:
    """Each Celery queue with its last heartbeat and whether a worker serves it: a heartbeat
    within READY_HEARTBEAT_FACTOR intervals of HEARTBEAT_SECONDS (the one rule, for /ready/
    and the background tasks page)."""
    oldest = clock.now() - datetime.timedelta(
        seconds=settings.HEARTBEAT_SECONDS * settings.READY_HEARTBEAT_FACTOR
    )
    beats = queue_heartbeats()
    return [
        (queue, beats.get(queue), queue in beats and beats[queue].last_seen >= oldest)
        for queue in settings.CELERY_QUEUE_NAMES
    ]


def lockout_attempts() -> QuerySet[AccessAttempt]:
    """Failed sign-ins within the lockout's cool-off time, newest first."""
    since = clock.now() - settings.AXES_COOLOFF_TIME
    attempts: QuerySet[AccessAttempt] = AccessAttempt.objects.filter(attempt_time__gte=since)
    return attempts.order_by("-attempt_time")
