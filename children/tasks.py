"""Scheduled work on the archive."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="children.tasks.mark_age_reviews")
def mark_age_reviews() -> int:
    """Daily: flag children who reached an age limit for their director to confirm."""
    from children.services import mark_age_reviews as mark

    return mark()
