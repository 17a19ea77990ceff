"""Village inspections (R16): a town supervisor's quarterly inspection of a village, with its
rectification items (work items, core.workitems) marked done by the town's supervisor or the
village's director."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from core import clock, permissions
from core.calendar import quarter_of
from core.workitems import workitem_done
from org.models import Region, User
from visits import selectors
from visits.models import Inspection, Rectification

CHECKLIST = (
    "visits_done",
    "key_children_followed",
    "director_work_ok",
    "childrens_home_ok",
    "data_current",
)


# Sent inside the inspection's transaction when it brings rectification items, with
# `inspection` and `items` (the new Rectification rows). The village's director hears of them
# through notifications (notifications.reactions: visits sits below notifications, so it
# announces and the layer above notifies).
rectifications_added = Signal()


@dataclass(frozen=True)
class RectificationInput:
    text: str
    due_on: datetime.date


def inspection_record(
    *,
    by: User,
    village: Region,
    inspected_on: datetime.date,
    checklist: dict[str, bool],
    findings: str = "",
    rectifications: list[RectificationInput] | None = None,
    client_uuid: uuid.UUID | None = None,
    today: datetime.date | None = None,
) -> tuple[Inspection, bool]:
    today = today or clock.today()
    rectifications = list(rectifications or [])
    if client_uuid is not None:
        earlier = Inspection.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is not None:
            return earlier, False
    permissions.require_work(by)
    if not selectors.supervised_villages(by).filter(pk=village.pk).exists():
        raise PermissionDenied(_("Village inspections are recorded by the town's supervisor."))
    errors: dict[str, list[str]] = {}
    if inspected_on > today:
        errors["inspected_on"] = [_("This date cannot be in the future.")]
    for item in rectifications:
        if not item.text.strip():
            errors.setdefault("rectifications", []).append(_("Describe each rectification item."))
        if item.due_on < inspected_on:
            errors.setdefault("rectifications", []).append(
                _("A rectification cannot be due before the inspection.")
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        inspection = Inspection(
            village=village,
            region_code=village.code,
            supervisor=by,
            inspected_on=inspected_on,
            quarter=quarter_of(inspected_on),
            findings=findings,
            **{name: bool(checklist.get(name)) for name in CHECKLIST},
        )
        if client_uuid is not None:
            inspection.client_uuid = client_uuid
        inspection._history_user = by  # type: ignore[attr-defined]
        inspection.save()
        items = Rectification.objects.bulk_create(
            [
                Rectification(inspection=inspection, text=i.text.strip(), due_on=i.due_on)
                for i in rectifications
            ]
        )
        if items:
            rectifications_added.send(sender=Inspection, inspection=inspection, items=items)
    return inspection, True


def may_complete_rectification(user: User, inspection: Inspection) -> bool:
    """The supervisor of the inspected village's town, or a director of that village."""
    code = inspection.region_code
    return selectors.is_town_supervisor(user, code) or selectors.directs_village(user, code)


def rectification_done(
    *, by: User, item: Rectification, done_on: datetime.date | None = None, note: str = "",
    today: datetime.date | None = None,
) -> Rectification:  # fmt: skip
    """Mark a rectification item done, with a note of what was done: the supervisor of the
    inspected village's town, or the village's director. The caller resolved `item` through
    the user's scope. Marking a done item again changes nothing."""
    today = today or clock.today()
    permissions.require_work(by)
    if not may_complete_rectification(by, item.inspection):
        raise PermissionDenied(
            _("Rectification items are closed by the town's supervisor or the village's director.")
        )
    return workitem_done(
        item=item,
        by=by,
        done_on=done_on or today,
        earliest=item.inspection.inspected_on,
        today=today,
        note=note,
    )
