"""Writes of visits and inspections, each in one transaction with its side effects: a visit
moves its child's due dates (visits.cadence) in the same transaction."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from children.choices import Status
from children.models import Child
from core import clock, permissions, scoping
from core.calendar import quarter_of
from core.regions import Level
from org.models import Region, Role, User
from visits import cadence
from visits.models import (
    FINDING_AREAS,
    CadenceRule,
    FollowUp,
    Inspection,
    Rectification,
    Visit,
    VisitKind,
)

CORRECTION_DAYS = 7

VISIT_FIELDS = (
    "kind",
    "visit_date",
    "seen",
    *[name for area, _label in FINDING_AREAS for name in (area, f"{area}_note")],
    "problems",
    "actions",
    "danger_found",
)


@dataclass(frozen=True)
class FollowUpInput:
    text: str
    due_on: datetime.date
    urgent: bool = False


def registered_on(child: Child) -> datetime.date:
    return timezone.localdate(child.created_at)


def _validate_visit(
    child: Child, values: dict[str, Any], follow_ups: list[FollowUpInput], today: datetime.date
) -> None:
    errors: dict[str, list[str]] = {}
    day = values.get("visit_date")
    if child.status != Status.ACTIVE:
        errors.setdefault("child", []).append(
            _("This archive is closed: reopen it before logging a visit.")
        )
    if values.get("kind") not in VisitKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of visit."))
    if not isinstance(day, datetime.date):
        errors.setdefault("visit_date", []).append(_("Give the date of the visit."))
    elif day > today:
        errors.setdefault("visit_date", []).append(_("The visit date cannot be in the future."))
    elif child.created_at and day < registered_on(child):
        errors.setdefault("visit_date", []).append(
            _("The visit date cannot be before the child was registered (%(date)s).")
            % {"date": registered_on(child).isoformat()}
        )
    if values.get("kind") == VisitKind.HOME and not (values.get("seen") or "").strip():
        errors.setdefault("seen", []).append(_("Say whom you saw on the home visit."))
    for item in follow_ups:
        if not item.text.strip():
            errors.setdefault("follow_ups", []).append(_("Describe each follow-up item."))
        if isinstance(day, datetime.date) and item.due_on < day:
            errors.setdefault("follow_ups", []).append(
                _("A follow-up cannot be due before the visit.")
            )
    if errors:
        raise ValidationError(errors)


def record_visit(
    *,
    by: User,
    child: Child,
    values: dict[str, Any],
    follow_ups: list[FollowUpInput] | None = None,
    client_uuid: uuid.UUID | None = None,
    today: datetime.date | None = None,
) -> tuple[Visit, bool]:
    """Log a visit and move the child's due dates, in one transaction. Returns (visit,
    created); the same client_uuid again returns the first visit and saves nothing.

    The caller resolved `child` through the user's scope; it is checked again here."""
    today = today or clock.today()
    follow_ups = list(follow_ups or [])
    if client_uuid is not None:
        earlier = Visit.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is not None:  # a phone retrying the same submission
            return earlier, False
    permissions.require_work(by)
    if not permissions.can_add_records(by):
        raise PermissionDenied(_("Your role does not log visits."))
    if not Child.objects.visible_to(by).filter(pk=child.pk).exists():
        raise ValidationError({"child": [_("This child is not in your regions.")]})
    _validate_visit(child, values, follow_ups, today)
    try:
        with transaction.atomic():
            # Lock the child: two visits of one child recompute its dates one after the other.
            Child.objects.select_for_update().filter(pk=child.pk).first()
            visit = Visit(child=child, author=by)
            if client_uuid is not None:
                visit.client_uuid = client_uuid
            for name in VISIT_FIELDS:
                if name in values and values[name] is not None:
                    setattr(visit, name, values[name])
            visit._history_user = by  # type: ignore[attr-defined]
            visit.save()
            if visit.danger_found and not any(item.urgent for item in follow_ups):
                follow_ups.append(
                    FollowUpInput(
                        text=_("Danger found on this visit: file a mandatory report and act now."),
                        due_on=today,
                        urgent=True,
                    )
                )
            FollowUp.objects.bulk_create(
                [
                    FollowUp(visit=visit, text=i.text.strip(), due_on=i.due_on, urgent=i.urgent)
                    for i in follow_ups
                ]
            )
            cadence.recompute(child)
    except IntegrityError:
        # The same client_uuid won a concurrent race, or belongs to a visit out of scope.
        if client_uuid is None:
            raise
        earlier = Visit.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is None:
            raise ValidationError(
                {"client_uuid": [_("This id has already been used for another visit.")]}
            ) from None
        return earlier, False
    return visit, True


def is_town_supervisor(user: User, code: str) -> bool:
    return any(
        code.startswith(town.prefix) for town in scoping.get_scope(user).regions(Role.SUPERVISOR)
    )


def correction_refusal(
    user: User, visit: Visit, today: datetime.date | None = None
) -> tuple[bool, str | None]:
    """(reason required, refusal): who may correct `visit` now. The author within
    CORRECTION_DAYS of entering it; afterwards only a supervisor of the child's town, with a
    reason."""
    today = today or clock.today()
    within = (today - timezone.localdate(visit.created_at)).days <= CORRECTION_DAYS
    if visit.author_id == user.pk and within:
        return False, None
    if is_town_supervisor(user, visit.child.region_code):
        return True, None
    if visit.author_id == user.pk:
        return True, _(
            "Visits can be corrected by their author within %(days)d days; ask the town "
            "supervisor to correct this one."
        ) % {"days": CORRECTION_DAYS}
    return True, _(
        "Only the author (within %(days)d days) or the town supervisor can correct a visit."
    ) % {"days": CORRECTION_DAYS}


def correct_visit(
    *,
    by: User,
    visit: Visit,
    values: dict[str, Any],
    reason: str = "",
    today: datetime.date | None = None,
) -> Visit:
    """Correct a visit; the earlier version stays in its history with `reason`."""
    today = today or clock.today()
    permissions.require_work(by)
    needs_reason, refusal = correction_refusal(by, visit, today)
    if refusal:
        raise PermissionDenied(refusal)
    if needs_reason and not reason.strip():
        raise ValidationError(
            {"reason": [_("Give the reason for correcting a visit after the author's window.")]}
        )
    merged = {name: getattr(visit, name) for name in VISIT_FIELDS}
    merged.update({k: v for k, v in values.items() if k in VISIT_FIELDS})
    child = visit.child
    # A correction of an open archive's visit; a closed child's visit may still be corrected.
    errors: dict[str, list[str]] = {}
    try:
        if child.status == Status.ACTIVE:
            _validate_visit(child, merged, [], today)
        else:
            active = Child(status=Status.ACTIVE, created_at=child.created_at)
            _validate_visit(active, merged, [], today)
    except ValidationError as exc:
        errors = exc.message_dict
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Child.objects.select_for_update().filter(pk=child.pk).first()
        for name, value in merged.items():
            setattr(visit, name, value)
        visit._history_user = by  # type: ignore[attr-defined]
        visit._change_reason = reason.strip()  # type: ignore[attr-defined]
        visit.save()
        cadence.recompute(child)
    return visit


# --- Inspections (R16) -----------------------------------------------------------------------

CHECKLIST = (
    "visits_done",
    "key_children_followed",
    "director_work_ok",
    "childrens_home_ok",
    "data_current",
)


@dataclass(frozen=True)
class RectificationInput:
    text: str
    due_on: datetime.date


def inspectable_villages(user: User) -> Any:
    """Villages of the towns `user` supervises."""
    towns = scoping.get_scope(user).regions(Role.SUPERVISOR)
    if not towns:
        return Region.objects.none()
    return Region.objects.filter(
        scoping.Scope(prefixes=tuple(t.prefix for t in towns)).q("code"), level=Level.VILLAGE
    )


def record_inspection(
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
    if not inspectable_villages(by).filter(pk=village.pk).exists():
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
        Rectification.objects.bulk_create(
            [
                Rectification(inspection=inspection, text=i.text.strip(), due_on=i.due_on)
                for i in rectifications
            ]
        )
    return inspection, True


# --- The district's cadence rule -------------------------------------------------------------

RULE_FIELDS = (
    "contact_months",
    "home_visit_months",
    "key_home_visit_months",
    "key_remote_counts",
    "first_home_visit_days",
)
NUMBER_FIELDS = (
    "contact_months",
    "home_visit_months",
    "key_home_visit_months",
    "first_home_visit_days",
)
MAX_INTERVAL = {"contact_months": 12, "home_visit_months": 12, "key_home_visit_months": 12,
                "first_home_visit_days": 365}  # fmt: skip


def save_cadence_rule(*, by: User, district: Region, values: dict[str, Any]) -> CadenceRule:
    """Change a district's cadence and apply it to every child of the district (one UPDATE),
    in one transaction."""
    permissions.require_work(by)
    if not any(d.pk == district.pk for d in permissions.managed_districts(by)):
        raise PermissionDenied(_("The cadence is set by the district's civil-affairs staff."))
    errors: dict[str, list[str]] = {}
    for name in NUMBER_FIELDS:
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors[name] = [_("Give a whole number greater than zero.")]
        elif value > MAX_INTERVAL[name]:
            errors[name] = [_("At most %(max)d.") % {"max": MAX_INTERVAL[name]}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule = CadenceRule.objects.select_for_update().filter(district=district).first()
        rule = rule or CadenceRule(district=district)
        for name in RULE_FIELDS:
            if name in values:
                setattr(rule, name, values[name])
        rule.updated_by = by
        rule._history_user = by  # type: ignore[attr-defined]
        rule.save()
        cadence.apply_rule_to_district(district)
    return rule


# --- Follow-up and rectification items marked done -------------------------------------------

DONE_FIELDS = ["done", "done_on", "done_note", "done_by"]
DONE_NOTE_LENGTH = 300


def _check_done_on(done_on: datetime.date, earliest: datetime.date, today: datetime.date) -> None:
    if done_on > today:
        raise ValidationError({"done_on": [_("This date cannot be in the future.")]})
    if done_on < earliest:
        raise ValidationError(
            {"done_on": [_("An item cannot be done before it was set (%(date)s).")
                         % {"date": earliest.isoformat()}]}
        )  # fmt: skip


def _directs(user: User, code: str) -> bool:
    """`user` is a child director of the village with division code `code`."""
    return any(
        code.startswith(v.prefix) for v in scoping.get_scope(user).regions(Role.CHILD_DIRECTOR)
    )


def may_complete_follow_ups_of(user: User, visit: Visit) -> bool:
    """The author of the visit, or a director of the child's village."""
    return visit.author_id == user.pk or _directs(user, visit.child.region_code)


def may_complete_follow_up(user: User, item: FollowUp) -> bool:
    return may_complete_follow_ups_of(user, item.visit)


def may_complete_rectification(user: User, inspection: Inspection) -> bool:
    """The supervisor of the inspected village's town, or a director of that village."""
    code = inspection.region_code
    return is_town_supervisor(user, code) or _directs(user, code)


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > DONE_NOTE_LENGTH:
        raise ValidationError(
            {"done_note": [_("At most %(max)d characters.") % {"max": DONE_NOTE_LENGTH}]}
        )
    return note


def add_follow_up(
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


def complete_follow_up(
    *, by: User, item: FollowUp, done_on: datetime.date | None = None, note: str = "",
    today: datetime.date | None = None,
) -> FollowUp:  # fmt: skip
    """Mark a follow-up item done on `done_on` (default today), with a note of what was done.
    The caller resolved `item` through the user's scope. Marking a done item again changes
    nothing (the first date and note stay)."""
    today = today or clock.today()
    done_on = done_on or today
    permissions.require_work(by)
    if not may_complete_follow_up(by, item):
        raise PermissionDenied(_("Follow-up items are closed by the child's director."))
    if item.done:
        return item
    note = _clean_note(note)
    _check_done_on(done_on, item.visit.visit_date, today)
    with transaction.atomic():
        # Lock the row: of two concurrent clicks, the second finds it done and writes nothing.
        if FollowUp.objects.select_for_update().values_list("done", flat=True).get(pk=item.pk):
            item.refresh_from_db(fields=DONE_FIELDS)
            return item
        item.done, item.done_on, item.done_note, item.done_by = True, done_on, note, by
        item._history_user = by  # type: ignore[attr-defined]
        item.save(update_fields=DONE_FIELDS)
    return item


def complete_rectification(
    *, by: User, item: Rectification, done_on: datetime.date | None = None, note: str = "",
    today: datetime.date | None = None,
) -> Rectification:  # fmt: skip
    """Mark a rectification item done, with a note of what was done: the supervisor of the
    inspected village's town, or the village's director. The caller resolved `item` through
    the user's scope. Marking a done item again changes nothing."""
    today = today or clock.today()
    done_on = done_on or today
    permissions.require_work(by)
    if not may_complete_rectification(by, item.inspection):
        raise PermissionDenied(
            _("Rectification items are closed by the town's supervisor or the village's director.")
        )
    if item.done:
        return item
    note = _clean_note(note)
    _check_done_on(done_on, item.inspection.inspected_on, today)
    with transaction.atomic():
        if Rectification.objects.select_for_update().values_list("done", flat=True).get(pk=item.pk):
            item.refresh_from_db(fields=DONE_FIELDS)
            return item
        item.done, item.done_on, item.done_note, item.done_by = True, done_on, note, by
        item.save(update_fields=DONE_FIELDS)
    return item
