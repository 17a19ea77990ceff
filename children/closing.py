"""Closing an archive and opening it again, and the age limits that call for closing (R10)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from children.choices import (
    ADULT_AGE,
    LEFT_BEHIND,
    LEFT_BEHIND_AGE_LIMIT,
    Category,
    CloseReason,
    Status,
)
from children.models import Child
from core import clock
from org.models import User
from visits import cadence


def child_close(
    *,
    by: User,
    child: Child,
    reason: str,
    closed_on: datetime.date,
    note: str = "",
    new_address: str = "",
    today: datetime.date | None = None,
) -> Child:
    """Close an archive (nothing closes without a person, R10 age limits included)."""
    today = today or clock.today()
    errors: dict[str, list[str]] = {}
    if child.status == Status.CLOSED:
        errors["reason"] = [_("This archive is already closed.")]
    if reason not in CloseReason.values or reason == CloseReason.MERGED:
        # A merge closes the archive it merges (duplicates.merging), never a person by hand.
        errors["reason"] = [_("Choose a reason for closing.")]
    if closed_on > today:
        errors["closed_on"] = [_("This date cannot be in the future.")]
    if reason == CloseReason.MOVED_AWAY and not new_address:
        errors["new_address"] = [_("Give the new address.")]
    if reason == CloseReason.OTHER and not note:
        errors["note"] = [_("Explain the reason.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        child.status = Status.CLOSED
        child.close_reason = reason
        child.closed_on = closed_on
        child.close_note = note
        child.new_address = new_address
        child.age_review_due = False
        child._history_user = by  # type: ignore[attr-defined]
        child.save()
        cadence.recompute(child)  # a closed child has no due dates
    return child


def child_reopen(*, by: User, child: Child, note: str) -> Child:
    """Reopen a closed archive, with the reason."""
    if child.status != Status.CLOSED:
        raise ValidationError({"note": [_("This archive is open.")]})
    if not note:
        raise ValidationError({"note": [_("Explain why the archive is reopened.")]})
    with transaction.atomic():
        child.status = Status.ACTIVE
        child.close_reason = ""
        child.closed_on = None
        child.close_note = note
        child._history_user = by  # type: ignore[attr-defined]
        child._change_reason = note  # type: ignore[attr-defined]
        child.save()
        cadence.recompute(child)
    return child


def age_reviews_mark(*, today: datetime.date | None = None) -> int:
    """Flag active children who reached an age limit (18 for all; 16 for those served only as
    left-behind) for their director to confirm closing. Set-based; returns the number flagged."""
    today = today or clock.today()

    def years_ago(n: int) -> datetime.date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)

    active = Child.objects.filter(status=Status.ACTIVE, age_review_due=False)
    flagged = active.filter(birth_date__lte=years_ago(ADULT_AGE)).update(age_review_due=True)
    others = [c for c in Category.values if c not in LEFT_BEHIND]
    left_behind_only = (
        active.filter(
            birth_date__lte=years_ago(LEFT_BEHIND_AGE_LIMIT), categories__code__in=LEFT_BEHIND
        )
        .exclude(categories__code__in=others)
        .values("pk")
    )
    flagged += Child.objects.filter(pk__in=left_behind_only).update(age_review_due=True)
    return flagged
