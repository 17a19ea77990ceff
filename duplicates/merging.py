"""Merging two archives of the same child (一人一档): the surviving archive takes, field by
field, the value chosen from either; every record of the merged archive moves to it; the
merged archive stays as a closed tombstone pointing to the survivor. One transaction: either
all of it happens or none of it.

What moves: every row that hangs off a child through a foreign key (visits, mandatory
reports, assistance, referrals, work-log notes, problems, attachments, and the rows of any
app added later, such as findings), with the history rows of those records. What stays with
the tombstone: its own history and access log (append-only: who read it is a fact about
that archive), its parents as recorded (the survivor takes them when chosen), and the rows
that record a past draw or reminder about it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from children.choices import CloseReason, Status
from children.family import parents_of
from children.fields import CHILD_FIELDS
from children.models import AccessAction, AccessLog, Child, Parent
from children.models_risk import RiskChange, RiskSignal
from children.registration import ChildInput, child_save
from core import clock, permissions, scoping
from duplicates.models import ChildMerge
from matching.risk import risk_findings_update
from org.models import User
from reports.risk import risk_reports_update
from visits import cadence
from visits.risk import risk_visits_update

# The choices a merge offers besides the archive's own fields.
EXTRA_CHOICES = ("village", "id_number", "carer_id_number", "categories", "parents")
MERGE_FIELDS = (*CHILD_FIELDS, *EXTRA_CHOICES)
SURVIVOR, MERGED = "survivor", "merged"


def moved_relations() -> list[tuple[type[models.Model], str]]:
    """The (model, foreign key name) of every kind of record that moves to the survivor. The
    risk level's reasons and its history describe each archive as it was: they stay, and the
    survivor's level is worked out again from the records it now holds."""
    kept = {Parent, ChildMerge, RiskSignal, RiskChange}
    found: list[tuple[type[models.Model], str]] = []
    for rel in Child._meta.related_objects:
        model = rel.related_model
        if rel.one_to_many and isinstance(model, type) and model not in kept:
            found.append((model, rel.field.name))
    return found


def record_counts(child_id: int) -> dict[str, int]:
    """How many records of each kind that a merge moves hang off the child."""
    return {
        model._meta.label_lower: model._default_manager.filter(**{name: child_id}).count()
        for model, name in moved_relations()
    }


def is_tombstone(child: Child) -> bool:
    return child.status == Status.CLOSED and child.close_reason == CloseReason.MERGED


def _check(
    by: User, survivor: Child, merged: Child, choices: dict[str, str]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if survivor.pk == merged.pk:
        errors["merged"] = [_("Choose two different archives.")]
    for name, child in (("survivor", survivor), ("merged", merged)):
        if is_tombstone(child):
            errors[name] = [_("This archive was already merged into another one.")]
    unknown = sorted(set(choices) - set(MERGE_FIELDS))
    if unknown:
        errors["choices"] = [_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}]
    bad = sorted(k for k, v in choices.items() if v not in (SURVIVOR, MERGED))
    if bad:
        errors.setdefault("choices", []).append(
            _("Choose “survivor” or “merged” for: %(names)s.") % {"names": ", ".join(bad)}
        )
    return errors


def child_merge_archives(
    *,
    by: User,
    survivor_id: int,
    merged_id: int,
    choices: dict[str, str],
    note: str = "",
    ip: str | None = None,
    now: datetime.datetime | None = None,
) -> ChildMerge:
    """Merge archive `merged_id` into `survivor_id` for `by` (district civil affairs). A
    child outside `by`'s scope is a 404; bad choices or a merged archive that would not
    validate raise ValidationError, and nothing is changed."""
    now = now or clock.now()
    if not permissions.can_merge_children(by):
        raise PermissionDenied(
            _("Archives are merged by district civil-affairs staff who keep archives.")
        )
    visible = Child.objects.all()
    survivor = scoping.get_visible_or_404(visible, by, pk=survivor_id)
    merged = scoping.get_visible_or_404(visible, by, pk=merged_id)
    errors = _check(by, survivor, merged, choices)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Both rows locked, lower id first (two merges of overlapping pairs wait in turn).
        locked = {
            c.pk: c
            for c in Child.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
        }
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        errors = _check(by, survivor, merged, choices)
        if errors:
            raise ValidationError(errors)

        def source(name: str) -> Child:
            return merged if choices.get(name) == MERGED else survivor

        data = ChildInput(
            village=source("village").village,
            fields={name: getattr(source(name), name) for name in CHILD_FIELDS},
            id_number=source("id_number").id_number,
            carer_id_number=source("carer_id_number").carer_id,
            categories=source("categories").category_codes(),
            parents=parents_of(source("parents")) if choices.get("parents") == MERGED else {},
        )
        before = {"survivor": record_counts(survivor.pk), "merged": record_counts(merged.pk)}
        # The ID number is unique: the tombstone gives it up before the survivor takes it.
        if choices.get("id_number") == MERGED and merged.id_hash:
            merged.set_id_number("")
            Child.objects.filter(pk=merged.pk).update(id_cipher="", id_hash=None, id_masked="")
        moved = _move_records(survivor, merged)
        reason = _("Merged with archive #%(merged)d (%(name)s)") % {
            "merged": merged.pk,
            "name": merged.name,
        }
        child_save(by=by, data=data, instance=survivor, reason=reason)
        cadence.recompute(survivor)  # the visits it took count for its cadence

        merged.status = Status.CLOSED
        merged.close_reason = CloseReason.MERGED
        merged.closed_on = now.date() if merged.closed_on is None else merged.closed_on
        merged.close_note = (_("Merged into archive #%(survivor)d") % {"survivor": survivor.pk})[
            :200
        ]
        merged.age_review_due = False
        merged._history_user = by  # type: ignore[attr-defined]
        merged._change_reason = merged.close_note  # type: ignore[attr-defined]
        merged.save()
        cadence.recompute(merged)
        # The survivor's risk from the visits and mandatory reports it now holds.
        risk_visits_update(child=survivor, now=now)
        risk_reports_update(child_id=survivor.pk, now=now)
        for child in (survivor, merged):  # the findings moved with the archive
            risk_findings_update(
                children=Child.objects.filter(pk=child.pk), region_code=child.region_code, now=now
            )

        record = ChildMerge.objects.create(
            survivor=survivor,
            merged=merged,
            by=by,
            at=now,
            choices={name: choices.get(name, SURVIVOR) for name in MERGE_FIELDS},
            moved={"before": before, "moved": moved},
            note=note[:300],
        )
        scope = f"merge #{merged.pk} -> #{survivor.pk}"
        AccessLog.objects.bulk_create(
            [
                AccessLog(
                    user=by, action=AccessAction.MERGE, child=c, scope=scope, row_count=1, ip=ip
                )
                for c in (survivor, merged)
            ]
        )
    return record


def _move_records(survivor: Child, merged: Child) -> dict[str, int]:
    moved: dict[str, int] = {}
    for model, name in moved_relations():
        manager: Any = model._default_manager
        moved[model._meta.label_lower] = manager.filter(**{name: merged.pk}).update(
            **{name: survivor.pk}
        )
        history = getattr(model, "history", None)
        if history is not None:
            # The records' own history follows them (the rows of simple_history).
            history.model.objects.filter(**{f"{name}_id": merged.pk}).update(
                **{f"{name}_id": survivor.pk}
            )
    return moved
