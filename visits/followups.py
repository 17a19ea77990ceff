"""Follow-up items of a visit: work items (core.workitems) added with a visit or later, and
marked done by the visit's author or the child's director."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from children.choices import Status
from core import clock, permissions, scoping
from core.workitems import DONE_NOTE_LENGTH, workitem_done
from org.models import User
from visits import selectors
from visits.models import FollowUp, Visit


@dataclass(frozen=True)
class FollowUpInput:
    text: str
    due_on: datetime.date
    urgent: bool = False


def may_complete_follow_ups_of(user: User, visit: Visit) -> bool:
    """The author of the visit while the child is in their scope (a visit still readable
    after the child's transfer is read-only), or a director of the child's village."""
    code = visit.child.region_code
    authored = visit.author_id == user.pk and scoping.get_scope(user).covers(code)
    return authored or selectors.directs_village(user, code)


def may_complete_follow_up(user: User, item: FollowUp) -> bool:
    return may_complete_follow_ups_of(user, item.visit)


def followup_add(
    *, by: User, visit: Visit, item: FollowUpInput, today: datetime.date | None = None
) -> FollowUp:
    """Add a follow-up item to a visit already saved (the visit's author or the child's
    director): due on or after the visit, for a child whose archive is open. The caller
    resolved `visit` through the user's scope."""
    today = today or clock.today()
    permissions.require_work(by)
    if not may_complete_follow_ups_of(by, visit):
        raise PermissionDenied(_("Follow-up items are added by the child's director."))
    errors: dict[str, list[str]] = {}
    text = item.text.strip()
    if not text:
        errors["text"] = [_("Describe the follow-up item.")]
    elif len(text) > DONE_NOTE_LENGTH:
        errors["text"] = [_("At most %(max)d characters.") % {"max": DONE_NOTE_LENGTH}]
    if item.due_on < visit.visit_date:
        errors["due_on"] = [_("A follow-up cannot be due before the visit.")]
    if visit.child.status != Status.ACTIVE:
        errors[NON_FIELD_ERRORS] = [
            _("This archive is closed: reopen it before adding follow-up items.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        follow_up = FollowUp(visit=visit, text=text, due_on=item.due_on, urgent=item.urgent)
        follow_up._history_user = by  # type: ignore[attr-defined]
        follow_up.save()
    return follow_up


def followup_done(
    *, by: User, item: FollowUp, done_on: datetime.date | None = None, note: str = "",
    today: datetime.date | None = None,
) -> FollowUp:  # fmt: skip
    """Mark a follow-up item done on `done_on` (default today), with a note of what was done.
    The caller resolved `item` through the user's scope. Marking a done item again changes
    nothing (the first date and note stay)."""
    today = today or clock.today()
    permissions.require_work(by)
    if not may_complete_follow_up(by, item):
        raise PermissionDenied(_("Follow-up items are closed by the child's director."))
    return workitem_done(
        item=item,
        by=by,
        done_on=done_on or today,
        earliest=item.visit.visit_date,
        today=today,
        note=note,
    )
