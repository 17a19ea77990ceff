"""Running a district's list of likely duplicates (the Celery task's work): claimed once by a
conditional update, progress written as the children are read, the pairs stored in one
transaction with the access log. Built for the requester, only while the district is still
theirs to merge in."""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from children.models import AccessAction, AccessLog
from core import clock, permissions, scoping
from core.roles import Role
from duplicates.listing import district_duplicates
from duplicates.models import DuplicateList, DuplicatePair, ListStatus

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 1.0  # seconds between progress writes
INSERT_BATCH = 2000


def _progress(listing_id: Any) -> Any:
    last = {"at": -PROGRESS_INTERVAL, "percent": -1}

    def report(done: int, total: int) -> None:
        percent = min(int(done * 95 / total), 95) if total else 95  # the rest is the writing
        moment = time.monotonic()
        if percent == last["percent"] or moment - last["at"] < PROGRESS_INTERVAL:
            return
        last.update(at=moment, percent=percent)
        DuplicateList.objects.filter(pk=listing_id, status=ListStatus.RUNNING).update(
            progress=percent
        )

    return report


def run_listing(listing_id: Any, *, now: datetime.datetime | None = None) -> DuplicateList | None:
    """Build a queued list; a doubled or retried task finds nothing to do (None)."""
    claimed = DuplicateList.objects.filter(pk=listing_id, status=ListStatus.QUEUED).update(
        status=ListStatus.RUNNING, started_at=now or clock.now(), progress=0
    )
    if not claimed:
        return None
    listing = DuplicateList.objects.select_related("district", "requested_by").get(pk=listing_id)
    user = listing.requested_by
    scoping.forget_scope(user)
    failure = ""
    if not (user.is_active and permissions.can_merge_children(user)) or not (
        scoping.role_scope(user, Role.CIVIL_AFFAIRS).covers(listing.district.code)
    ):
        failure = _("You no longer serve this district, so its list cannot be made.")
    else:
        try:
            scope = scoping.Scope.of_prefixes([listing.district.prefix])
            total, pairs = district_duplicates(scope, _progress(listing.pk))
            with transaction.atomic():
                DuplicatePair.objects.bulk_create(
                    (
                        DuplicatePair(
                            listing=listing, first_id=a, second_id=b, reasons=list(r), score=s
                        )
                        for a, b, r, s in pairs
                    ),
                    batch_size=INSERT_BATCH,
                )
                DuplicateList.objects.filter(pk=listing.pk).update(
                    status=ListStatus.DONE,
                    progress=100,
                    children_read=total,
                    pair_count=len(pairs),
                    finished_at=now or clock.now(),
                )
                AccessLog.objects.create(
                    user=user,
                    action=AccessAction.DUPLICATE_LIST,
                    scope=f"duplicates {listing.district.code}",
                    row_count=len(pairs),
                )
        except Exception:
            logger.exception("Duplicate list %s failed", listing.pk)
            failure = _(
                "The list failed because of an error on the server. Try again; if it fails "
                "again, tell your system administrator."
            )
    if failure:
        DuplicateList.objects.filter(pk=listing.pk).update(
            status=ListStatus.FAILED, message=failure[:300], finished_at=now or clock.now()
        )
    listing.refresh_from_db()
    return listing
