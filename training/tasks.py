"""Scheduled work of training (beat: CELERY_BEAT_SCHEDULE in carecase/settings.py)."""

from __future__ import annotations

from celery import shared_task

from training import services


@shared_task(name="training.tasks.flag_rotation")
def flag_rotation() -> dict[str, int]:
    """Daily (R7): flag workers whose last pass is 11 months old (due within about 30 days) and
    those lapsed (over 12 months), in set-based updates of the stored status. Idempotent."""
    return services.rotation_sweep()
