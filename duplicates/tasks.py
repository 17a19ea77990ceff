"""The district's list of likely duplicates in Celery."""

from __future__ import annotations

from celery import shared_task

from duplicates.jobs import run_listing


@shared_task(name="duplicates.tasks.run_duplicate_list")
def run_duplicate_list(listing_id: str) -> str:
    """Build a queued list; a second delivery of the same list does nothing."""
    listing = run_listing(listing_id)
    return listing.status if listing is not None else "skipped"
