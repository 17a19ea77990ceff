"""Writes of visits, each in one transaction with its side effects: a visit moves its child's
due dates (visits.cadence) in the same transaction; and the district's cadence rule. Follow-up
items are in visits.followups, village inspections in visits.inspections."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from children import risk
from children.choices import Status
from children.models import Child
from children.models_risk import RiskChange, RiskLevel, RiskRule, RiskSource
from core import clock, faults, permissions, scoping
from core.district_rules import district_rule_save
from core.regions import district_prefix, prefix_range
from org.models import Region, User
from visits import cadence, followups, selectors
from visits import risk as visit_risk
from visits.models import FINDING_AREAS, CadenceRule, Finding, FollowUp, Visit, VisitKind

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


def registered_on(child: Child) -> datetime.date:
    return timezone.localdate(child.created_at)


def _validate_visit(
    child: Child,
    values: dict[str, Any],
    follow_ups: list[followups.FollowUpInput],
    today: datetime.date,
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


@dataclass
class SiblingInput:
    """A sibling a household visit is also for, with what was found about this child only:
    the areas of concern on top of the shared findings, and a note."""

    child: Child
    concerns: tuple[str, ...] = ()
    note: str = ""


def sibling_uuid(household_uuid: uuid.UUID, child_pk: int) -> uuid.UUID:
    """The client id of a sibling's visit in a household visit: derived from the visit's own
    id, so that a retried household visit finds each child's visit again."""
    return uuid.uuid5(household_uuid, f"sibling-{child_pk}")


def _sibling_values(values: dict[str, Any], sibling: SiblingInput) -> dict[str, Any]:
    return {
        **values,
        **dict.fromkeys(sibling.concerns, Finding.CONCERN),
        "child_note": sibling.note.strip(),
    }


def _validate_siblings(
    by: User,
    child: Child,
    siblings: list[SiblingInput],
    values: dict[str, Any],
    today: datetime.date,
) -> None:
    errors: dict[str, list[str]] = {}
    seen: set[int] = {child.pk}
    visible = set(
        Child.objects.visible_to(by)
        .filter(pk__in=[s.child.pk for s in siblings])
        .values_list("pk", flat=True)
    )
    areas = {area for area, _label in FINDING_AREAS}
    for sibling in siblings:
        other = sibling.child
        if other.pk in seen:
            errors.setdefault("siblings", []).append(_("Each sibling can be named once."))
            continue
        seen.add(other.pk)
        if (
            other.pk not in visible
            or child.household_id is None
            or other.household_id != child.household_id
        ):
            errors.setdefault("siblings", []).append(
                _("%(name)s is not in this child's household.") % {"name": other.name}
            )
            continue
        if set(sibling.concerns) - areas:
            errors.setdefault("siblings", []).append(_("Choose the areas of concern."))
        if len(sibling.note) > 300:
            errors.setdefault("siblings", []).append(_("At most 300 characters."))
        try:
            _validate_visit(other, values, [], today)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                errors.setdefault("siblings", []).extend(
                    f"{other.name}: {message}" for message in messages
                )
    if errors:
        raise ValidationError(errors)


def _save_visit(
    by: User,
    child: Child,
    values: dict[str, Any],
    follow_ups: list[followups.FollowUpInput],
    client_uuid: uuid.UUID | None,
    household_uuid: uuid.UUID | None,
    today: datetime.date,
) -> Visit:
    visit = Visit(child=child, author=by, household_uuid=household_uuid)
    if client_uuid is not None:
        visit.client_uuid = client_uuid
    for name in (*VISIT_FIELDS, "child_note"):
        if name in values and values[name] is not None:
            setattr(visit, name, values[name])
    visit._history_user = by  # type: ignore[attr-defined]
    visit.save()
    if visit.danger_found and not any(item.urgent for item in follow_ups):
        follow_ups = [
            *follow_ups,
            followups.FollowUpInput(
                text=_("Danger found on this visit: file a mandatory report and act now."),
                due_on=today,
                urgent=True,
            ),
        ]
    FollowUp.objects.bulk_create(
        [
            FollowUp(visit=visit, text=i.text.strip(), due_on=i.due_on, urgent=i.urgent)
            for i in follow_ups
        ]
    )
    visit_risk.risk_visits_update(child=child)
    cadence.recompute(child)
    return visit


def visit_record(
    *,
    by: User,
    child: Child,
    values: dict[str, Any],
    follow_ups: list[followups.FollowUpInput] | None = None,
    client_uuid: uuid.UUID | None = None,
    today: datetime.date | None = None,
    siblings: list[SiblingInput] | None = None,
    child_note: str = "",
) -> tuple[Visit, bool]:
    """Log a visit and move the child's due dates, in one transaction. Returns (visit,
    created); the same client_uuid again returns the first visit and saves nothing.

    A household visit (`siblings`: children of the same household) stores one visit per
    child in the same transaction, each with the shared findings, its own concerns and note,
    and moves each child's due dates; they share `household_uuid` (the visit's client id),
    and each sibling's client id is derived from it (`sibling_uuid`), so that a retry stores
    each child's visit once. Follow-up items given go on `child`'s visit.

    The caller resolved `child` through the user's scope; it is checked again here."""
    today = today or clock.today()
    follow_ups = list(follow_ups or [])
    siblings = list(siblings or [])
    if client_uuid is not None:
        earlier = Visit.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is not None:  # a phone retrying the same submission
            return earlier, False
    permissions.require_work(by)
    if not permissions.can_add_records(by):
        raise PermissionDenied(_("Your role does not log visits."))
    if not Child.objects.visible_to(by).filter(pk=child.pk).exists():
        raise ValidationError({"child": [_("This child is not in your regions.")]})
    if len(child_note) > 300:
        raise ValidationError({"child_note": [_("At most 300 characters.")]})
    _validate_visit(child, values, follow_ups, today)
    if siblings:
        _validate_siblings(by, child, siblings, values, today)
    household_uuid = client_uuid or uuid.uuid4()
    try:
        with transaction.atomic():
            # Lock the children: two visits of one child recompute its dates one after the
            # other (in the order of their ids, so that two household visits cannot deadlock).
            pks = sorted({child.pk, *(s.child.pk for s in siblings)})
            list(Child.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
            visit = _save_visit(
                by,
                child,
                {**values, "child_note": child_note.strip()},
                follow_ups,
                household_uuid,
                household_uuid if siblings else None,
                today,
            )
            for sibling in siblings:
                _save_visit(
                    by,
                    sibling.child,
                    _sibling_values(values, sibling),
                    [],
                    sibling_uuid(household_uuid, sibling.child.pk),
                    household_uuid,
                    today,
                )
            faults.pause_point("visit.saved")  # before the commit
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


def household_visits(user: User, visit: Visit) -> list[Visit]:
    """The other visits of the household visit `visit` belongs to that `user` may see (none
    for a visit of one child), with their children."""
    if visit.household_uuid is None:
        return []
    return list(
        Visit.objects.visible_to(user)
        .filter(household_uuid=visit.household_uuid)
        .exclude(pk=visit.pk)
        .select_related("child")
        .order_by("child__name_pinyin", "pk")
    )


def household_map(user: User, visits: list[Visit]) -> dict[uuid.UUID, list[tuple[int, int]]]:
    """(visit id, child id) of every visit `user` may see of the household visits among
    `visits`, by household_uuid: one query for a page of a list."""
    keys = {v.household_uuid for v in visits if v.household_uuid is not None}
    found: dict[uuid.UUID, list[tuple[int, int]]] = {}
    if not keys:
        return found
    rows = (
        Visit.objects.visible_to(user)
        .filter(household_uuid__in=keys)
        .order_by("pk")
        .values_list("household_uuid", "pk", "child_id")
    )
    for key, pk, child_id in rows:
        if key is not None:
            found.setdefault(key, []).append((pk, child_id))
    return found


def visit_correction_refusal(
    user: User, visit: Visit, today: datetime.date | None = None
) -> tuple[bool, str | None]:
    """(reason required, refusal): who may correct `visit` now. The author within
    CORRECTION_DAYS of entering it; afterwards only a supervisor of the child's town, with a
    reason."""
    today = today or clock.today()
    within = (today - timezone.localdate(visit.created_at)).days <= CORRECTION_DAYS
    if not scoping.get_scope(user).covers(visit.child.region_code):
        # Read through an explicit grant (the child was transferred away): read-only.
        return True, _("This child now belongs to another village: its visits are read-only.")
    if visit.author_id == user.pk and within:
        return False, None
    if selectors.is_town_supervisor(user, visit.child.region_code):
        return True, None
    if visit.author_id == user.pk:
        return True, _(
            "Visits can be corrected by their author within %(days)d days; ask the town "
            "supervisor to correct this one."
        ) % {"days": CORRECTION_DAYS}
    return True, _(
        "Only the author (within %(days)d days) or the town supervisor can correct a visit."
    ) % {"days": CORRECTION_DAYS}


def visit_correct(
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
    needs_reason, refusal = visit_correction_refusal(by, visit, today)
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
        visit_risk.risk_visits_update(child=child)
        cadence.recompute(child)
    return visit


# --- The district's cadence rule -------------------------------------------------------------

NUMBER_FIELDS = (
    "contact_months",
    "home_visit_months",
    "key_home_visit_months",
    "first_home_visit_days",
)
MAX_INTERVAL = {"contact_months": 12, "home_visit_months": 12, "key_home_visit_months": 12,
                "first_home_visit_days": 365}  # fmt: skip


def cadence_rule_save(*, by: User, district: Region, values: dict[str, Any]) -> CadenceRule:
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
        rule = district_rule_save(rule=CadenceRule(district=district), by=by, data=values)
        cadence.apply_rule_to_district(district)
    return rule


# --- The district's risk rule ----------------------------------------------------------------


def risk_rule_save(*, by: User, district: Region, values: dict[str, Any]) -> RiskRule:
    """Change a district's risk weights and thresholds and apply them to every child of the
    district set-based (children.risk.risk_apply_rule_to_district: a few statements, whatever
    the number of children), then the cadence: of the whole district when the monthly
    home-visit level changed, else of the children whose level changed (one UPDATE), in one
    transaction. Here, not in the archive, because it moves due dates."""
    permissions.require_work(by)
    if not any(d.pk == district.pk for d in permissions.managed_districts(by)):
        raise PermissionDenied(_("The risk rule is set by the district's civil-affairs staff."))
    errors: dict[str, list[str]] = {}
    for name in [f"w_{code}" for code in risk.REASONS]:
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[name] = [_("Give a whole number, zero or more.")]
        elif value > risk.MAX_WEIGHT:
            errors[name] = [_("At most %(max)d.") % {"max": risk.MAX_WEIGHT}]
    previous = 0
    for name in risk.THRESHOLDS:
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors[name] = [_("Give a whole number greater than zero.")]
            continue
        if value > risk.MAX_THRESHOLD:
            errors[name] = [_("At most %(max)d.") % {"max": risk.MAX_THRESHOLD}]
        elif value <= previous:
            errors[name] = [_("Each threshold must be higher than the one of the level below.")]
        previous = value
    if values.get("monthly_home_visit_from") not in (0, *RiskLevel.values[1:]):
        errors["monthly_home_visit_from"] = [_("Choose a level.")]
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    with transaction.atomic():
        before = RiskRule.objects.filter(district=district).first() or RiskRule()
        rule = district_rule_save(rule=RiskRule(district=district), by=by, data=values)
        risk.risk_apply_rule_to_district(district, now=now)
        if rule.monthly_home_visit_from != before.monthly_home_visit_from:
            cadence.apply_rule_to_district(district)
        else:  # only the children whose level crossed the monthly level have other due dates
            due_rule = cadence.rule_for_code(district.code)
            crossing = cadence.level_moves_due_dates_q(due_rule)
            if crossing is not None:
                changed = (
                    RiskChange.objects.filter(
                        region_code__range=prefix_range(district_prefix(district.code)),
                        cause=RiskSource.RULE,
                        changed_at=now,
                    )
                    .filter(crossing)
                    .values("child_id")
                )
                cadence.apply(Child.objects.filter(pk__in=changed), due_rule)
    return rule
