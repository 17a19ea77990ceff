"""Scheduled work on the archive."""

from __future__ import annotations

from celery import shared_task

from children.closing import age_reviews_mark
from core import clock


@shared_task(name="children.tasks.mark_age_reviews")
def mark_age_reviews() -> int:
    """Daily: flag children who reached an age limit for their director to confirm."""
    return age_reviews_mark()


@shared_task(name="children.tasks.purge_roster_uploads")
def purge_roster_uploads(max_age_hours: int = 24) -> int:
    """Delete uploaded roster workbooks once they are imported or failed, and unconfirmed ones
    after `max_age_hours`: they hold children's personal data and are needed only between the
    dry run and the commit."""
    from datetime import timedelta

    from django.db.models import Q

    from children.models_roster import RosterImport, RosterImportStatus

    cutoff = clock.now() - timedelta(hours=max_age_hours)
    stale = RosterImport.objects.exclude(file="").filter(
        ~Q(status=RosterImportStatus.PREVIEWED) | Q(created_at__lt=cutoff)
    )
    purged = 0
    for record in stale.iterator():
        record.file.delete(save=False)
        RosterImport.objects.filter(pk=record.pk).update(file="")
        purged += 1
    return purged
