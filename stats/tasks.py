"""Scheduled work of statistics (beat: CELERY_BEAT_SCHEDULE in carecase/settings.py)."""

from __future__ import annotations

from celery import shared_task

from core import clock


@shared_task(name="stats.tasks.snapshot_regions")
def snapshot_regions() -> int:
    """Every STATS_SNAPSHOT_MINUTES (beat): store the day's dashboard figures of every village,
    town and district as of now. Every dashboard reads them; the day's last run is the day's
    point of the 12-month trends. A second run the same day rewrites the same rows."""

    from stats import services

    return services.snapshot_regions(today=clock.today(), now=clock.now())


@shared_task(name="stats.tasks.snapshot_district")
def snapshot_district(prefix: str) -> int:
    """The same for one district (its 6-digit prefix), when a dashboard of it found its
    snapshot missing or not fresh (stats.services.request_refresh)."""

    from stats import services

    return services.snapshot_regions(today=clock.today(), now=clock.now(), prefix=prefix)
