"""Scheduled work of statistics (beat: CELERY_BEAT_SCHEDULE in carecase/settings.py)."""

from __future__ import annotations

from celery import shared_task

from core import clock


@shared_task(name="stats.tasks.snapshot_regions")
def snapshot_regions() -> int:
    """Every STATS_SNAPSHOT_MINUTES (beat): store the day's dashboard figures of every village,
    town and district as of now. The town and district dashboards read them while fresh; the
    day's last run is the day's point of the 12-month trends. A second run the same day
    rewrites the same rows."""

    from stats import services

    return services.snapshot_regions(today=clock.today(), now=clock.now())
