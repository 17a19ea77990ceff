"""Reads for the pages of the top package: the worker's heartbeat (home page, health
endpoint), the sign-in attempts that may still lock someone out (security pages)."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet

from carecase.models import WorkerHeartbeat
from core import clock


def worker_heartbeat(name: str = "worker") -> WorkerHeartbeat | None:
    """The last heartbeat of the Celery worker `name`, if it ever ran."""
    return WorkerHeartbeat.objects.filter(name=name).first()


def lockout_attempts() -> QuerySet[AccessAttempt]:
    """Failed sign-ins within the lockout's cool-off time, newest first."""
    since = clock.now() - settings.AXES_COOLOFF_TIME
    attempts: QuerySet[AccessAttempt] = AccessAttempt.objects.filter(attempt_time__gte=since)
    return attempts.order_by("-attempt_time")
