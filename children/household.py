"""Households (户): one family, several children (issue 17, part 1).

The household is the one place its shared facts are edited (`SHARED_FIELDS`, the carer's ID
number and the parents). Each write copies them onto every member child through
`registration.child_save`, in one transaction, so that every child keeps its own fields (read
by every page, export, roster, risk rule and the dossier as before) and gets a history row
saying the household changed them. A child joins a household at registration, in the roster
import, or from its page (`household_join`); joining a child who has no household yet forms one
from that child's facts (`household_of`). Families are found by a parent's or the carer's phone
or name among the children of the same village (`families_matching`).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from children import crypto, duplicates, idnumber
from children.choices import ParentRelation, Status
from children.family import parents_check, parents_of
from children.fields import CHILD_FIELDS, GUARDIANSHIP, PARENT_FIELDS
from children.models import Child
from children.models_household import (
    CAPACITY_ITEMS,
    CapacityResult,
    GuardianshipAssessment,
    Household,
    ItemRating,
)
from children.registration import ChildInput, SaveResult, child_save
from core import clock, permissions
from org.models import Region, User

# The child fields a household holds for all its children.
SHARED_FIELDS = ("address", *GUARDIANSHIP)
# The child's parent fields a family is found by.
MATCH_LIMIT = 10


def _require_editor(by: User) -> None:
    permissions.require_work(by)
    if not permissions.can_edit_archives(by):
        raise PermissionDenied(
            _("Archives are kept by village child directors and district civil affairs.")
        )


# --- Reading the shared facts -----------------------------------------------------------------


def household_fields(household: Household) -> dict[str, Any]:
    return {key: getattr(household, key) for key in SHARED_FIELDS}


def household_parents(household: Household) -> dict[str, dict[str, Any]]:
    """The household's parents by relation, as a registration supplies them (ID numbers in
    clear, `missing_since` a date)."""
    result: dict[str, dict[str, Any]] = {}
    for relation, stored in (household.parents or {}).items():
        values = {k: stored.get(k, "") for k in PARENT_FIELDS if k not in ("id_number",)}
        since = stored.get("missing_since")
        values["missing_since"] = datetime.date.fromisoformat(since) if since else None
        values["id_number"] = crypto.decrypt(stored["id_cipher"]) if stored.get("id_cipher") else ""
        result[relation] = values
    return result


def _stored_parents(parents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The parents as the household keeps them: ID numbers encrypted, dates as ISO text."""
    stored: dict[str, dict[str, Any]] = {}
    for relation in ParentRelation.values:
        values = parents.get(relation) or {}
        if not values.get("status"):
            continue
        row = {k: values.get(k) or "" for k in PARENT_FIELDS if k not in ("id_number",)}
        since = values.get("missing_since")
        row["missing_since"] = since.isoformat() if since else None
        number = idnumber.normalize(values.get("id_number") or "")
        row["id_cipher"] = crypto.encrypt(number) if number else ""
        row["id_masked"] = idnumber.mask(number) if number else ""
        stored[relation] = row
    return stored


def parent_display(household: Household) -> list[dict[str, Any]]:
    """The parents for a page: relation label, name, situation, phone, masked ID number."""
    rows = []
    for relation in ParentRelation.values:
        stored = (household.parents or {}).get(relation)
        if stored:
            rows.append({"relation": ParentRelation(relation).label, **stored})
    return rows


# --- Forming and joining ----------------------------------------------------------------------


def _member_input(
    child: Child,
    fields: dict[str, Any],
    carer_id_number: str,
    parents: dict[str, dict[str, Any]],
) -> ChildInput:
    """The child's whole record with the household's shared facts over it (every relation
    given: a parent the household does not record is removed from the child)."""
    return ChildInput(
        village=child.village,
        fields={**{k: getattr(child, k) for k in CHILD_FIELDS}, **fields},
        id_number=child.id_number,
        carer_id_number=carer_id_number,
        categories=child.category_codes(),
        parents={relation: parents.get(relation) or {} for relation in ParentRelation.values},
    )


def _set_household(by: User, child: Child, household: Household | None, reason: str) -> None:
    if child.household_id == (household.pk if household else None):
        return
    child.household = household
    child._history_user = by  # type: ignore[attr-defined]
    child._change_reason = reason  # type: ignore[attr-defined]
    child.save()


def household_of(*, by: User, child: Child) -> Household:
    """The child's household; a child without one gets one formed from its own facts."""
    if child.household_id is not None:
        return Household.objects.get(pk=child.household_id)
    _require_editor(by)
    with transaction.atomic():
        locked = Child.objects.select_for_update().get(pk=child.pk)
        if locked.household_id is not None:
            return Household.objects.get(pk=locked.household_id)
        household = Household(
            village_id=child.village_id,
            region_code=child.region_code,
            created_by=by,
            carer_id_cipher=child.carer_id_cipher,
            parents=_stored_parents(parents_of(child)),
            **{key: getattr(child, key) for key in SHARED_FIELDS},
        )
        household._history_user = by  # type: ignore[attr-defined]
        household.save()
        _set_household(by, child, household, _("Household formed from this archive"))
    return household


def household_join(
    *, by: User, child: Child, household: Household, today: datetime.date | None = None
) -> SaveResult:
    """`child` joins `household`: its shared facts become the household's (a history row on
    the child). The same village only. Joining again changes nothing."""
    _require_editor(by)
    if child.village_id != household.village_id:
        raise ValidationError(
            {"household": [_("A child can only join a household of its own village.")]}
        )
    if child.status != Status.ACTIVE:
        raise ValidationError({"household": [_("This archive is closed.")]})
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()
        _set_household(by, child, household, _("Joined a household"))
        return child_save(
            by=by,
            data=_member_input(
                child, household_fields(household), household.carer_id, household_parents(household)
            ),
            instance=child,
            today=today,
            reason=_("Family facts from the household"),
        )


def household_leave(*, by: User, child: Child) -> None:
    """The child leaves its household (it keeps the facts it had; they are its own again)."""
    _require_editor(by)
    with transaction.atomic():
        Child.objects.select_for_update().filter(pk=child.pk).first()
        _set_household(by, child, None, _("Left the household"))


def household_register(
    *,
    by: User,
    data: ChildInput,
    into: Household | Child,
    client_token: uuid.UUID | None = None,
    acknowledged: set[int] | None = None,
    context: str = "registration",
    today: datetime.date | None = None,
) -> SaveResult:
    """Register a child straight into a family, `into` a household or a sibling (whose
    household is formed if it has none), in one transaction: the registration with its
    likely-duplicate check (children.duplicates.child_register), then `household_join`."""
    with transaction.atomic():
        result = duplicates.child_register(
            by=by,
            data=data,
            client_token=client_token,
            acknowledged=acknowledged or set(),
            context=context,
        )
        household = into if isinstance(into, Household) else household_of(by=by, child=into)
        joined = household_join(by=by, child=result.child, household=household, today=today)
    return SaveResult(
        joined.child,
        created=result.created,
        changed=result.changed or joined.changed,
        warnings=result.warnings,
    )


def household_initial(family: Household | Child) -> dict[str, Any]:
    """A registration form's first values from a family (a household, or a sibling): its
    village, shared facts and parents (ID numbers apart: joining copies them)."""
    initial: dict[str, Any] = {"village": family.village_id}
    initial.update({key: getattr(family, key) for key in SHARED_FIELDS})
    parents = household_parents(family) if isinstance(family, Household) else parents_of(family)
    for relation, values in parents.items():
        for key in PARENT_FIELDS:
            if key != "id_number":
                initial[f"{relation}_{key}"] = values.get(key)
    return initial


# --- Editing the household --------------------------------------------------------------------


def household_save(
    *,
    by: User,
    household: Household,
    fields: dict[str, Any],
    parents: dict[str, dict[str, Any]] | None = None,
    carer_id_number: str | None = None,
    today: datetime.date | None = None,
    reason: str = "",
) -> list[SaveResult]:
    """Change the household's shared facts (`fields` among SHARED_FIELDS; `parents` by
    relation, the whole set when given; the carer's ID number) and copy them onto every
    member, each through child_save with a history row, in one transaction: a value one
    child's archive refuses saves nothing. Raises ValidationError keyed by field."""
    _require_editor(by)
    today = today or clock.today()
    unknown = set(fields) - set(SHARED_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [_("This field is not kept by the household.")] for name in unknown}
        )
    new_fields = {**household_fields(household), **fields}
    new_parents = household_parents(household) if parents is None else parents
    carer_id = household.carer_id if carer_id_number is None else carer_id_number
    errors = parents_check(new_parents, today)
    if not (new_fields.get("address") or "").strip():
        errors.setdefault("address", []).append(_("Give the current address."))
    if errors:
        raise ValidationError(errors)
    results: list[SaveResult] = []
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        members = list(
            Child.objects.filter(household=locked)
            .select_related("village")
            .prefetch_related("categories", "parents")
            .order_by("pk")
        )
        results.extend(
            child_save(
                by=by,
                data=_member_input(child, dict(new_fields), carer_id, new_parents),
                instance=child,
                today=today,
                reason=reason or _("Household edited"),
            )
            for child in members
        )
        # The values as the children's archives cleaned them (names trimmed).
        cleaned = results[0].child if results else None
        for key in SHARED_FIELDS:
            setattr(household, key, getattr(cleaned, key) if cleaned else new_fields[key])
        number = idnumber.normalize(carer_id) if carer_id else ""
        household.carer_id_cipher = crypto.encrypt(number) if number else ""
        household.parents = _stored_parents(new_parents)
        household._history_user = by  # type: ignore[attr-defined]
        household._change_reason = reason  # type: ignore[attr-defined]
        household.save()
    return results


# --- The guardianship capacity assessment (004 item 5) ----------------------------------------

RATING_POINTS = {ItemRating.ADEQUATE: 2, ItemRating.PARTLY: 1, ItemRating.INADEQUATE: 0}


def capacity_result(ratings: dict[str, str]) -> CapacityResult:
    """The result of the five ratings: capable when none is inadequate and at most one is
    partly adequate; lacking capacity when two or more are inadequate or the points (2 per
    adequate, 1 per partly) are 4 or fewer; otherwise limited."""
    values = [ItemRating(ratings[name]) for name, _label in CAPACITY_ITEMS]
    inadequate = values.count(ItemRating.INADEQUATE)
    points = sum(RATING_POINTS[v] for v in values)
    if inadequate >= 2 or points <= 4:
        return CapacityResult.INCAPABLE
    if inadequate == 0 and values.count(ItemRating.PARTLY) <= 1:
        return CapacityResult.CAPABLE
    return CapacityResult.LIMITED


def assessment_record(
    *,
    by: User,
    household: Household,
    values: dict[str, Any],
    client_token: uuid.UUID | None = None,
    today: datetime.date | None = None,
) -> tuple[GuardianshipAssessment, bool]:
    """Record a dated assessment; the household shows the latest result (and so does each
    child's page). Idempotent on client_token: (assessment, created)."""
    today = today or clock.today()
    if client_token is not None:
        earlier = (
            GuardianshipAssessment.objects.visible_to(by).filter(client_token=client_token).first()
        )
        if earlier is not None:
            return earlier, False
    permissions.require_work(by)
    if not permissions.can_add_records(by):
        raise PermissionDenied(_("Your role does not add records to archives."))
    errors: dict[str, list[str]] = {}
    day = values.get("assessed_on")
    if not isinstance(day, datetime.date):
        errors["assessed_on"] = [_("Give the date of the assessment.")]
    elif day > today:
        errors["assessed_on"] = [_("This date cannot be in the future.")]
    for name, _label in CAPACITY_ITEMS:
        if values.get(name) not in ItemRating.values:
            errors[name] = [_("Rate this item.")]
    if len(values.get("note") or "") > 500:
        errors["note"] = [_("At most 500 characters.")]
    if errors:
        raise ValidationError(errors)
    assessment = GuardianshipAssessment(
        household=household,
        assessed_on=values["assessed_on"],
        note=(values.get("note") or "").strip(),
        client_token=client_token,
        created_by=by,
        result=capacity_result(values),
        **{name: values[name] for name, _label in CAPACITY_ITEMS},
    )
    try:
        with transaction.atomic():
            locked = Household.objects.select_for_update().get(pk=household.pk)
            assessment.save()
            if locked.capacity_assessed_on is None or assessment.assessed_on >= (
                locked.capacity_assessed_on
            ):
                locked.capacity_result = assessment.result
                locked.capacity_assessed_on = assessment.assessed_on
                locked._history_user = by  # type: ignore[attr-defined]
                locked.save(update_fields=["capacity_result", "capacity_assessed_on", "updated_at"])
                household.capacity_result = locked.capacity_result
                household.capacity_assessed_on = locked.capacity_assessed_on
    except IntegrityError:
        earlier = (
            GuardianshipAssessment.objects.visible_to(by).filter(client_token=client_token).first()
        )
        if earlier is None:
            raise ValidationError(
                {"client_token": [_("This id has already been used for another record.")]}
            ) from None
        return earlier, False
    return assessment, True


def siblings_of(user: User, child: Child) -> list[Child]:
    """The other active children of `child`'s household that `user` may see."""
    if child.household_id is None:
        return []
    return list(
        Child.objects.visible_to(user)
        .filter(household_id=child.household_id, status=Status.ACTIVE)
        .exclude(pk=child.pk)
        .order_by("birth_date", "pk")
    )


# --- Finding a family -------------------------------------------------------------------------


@dataclass
class Family:
    """A family a new child may join: a household, or a child registered alone (whose
    household is formed on joining)."""

    household: Household | None
    child: Child | None
    names: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"h{self.household.pk}" if self.household else f"c{self.child.pk}"  # type: ignore[union-attr]

    @property
    def address(self) -> str:
        source = self.household or self.child
        return source.address if source else ""


def families_matching(
    user: User,
    *,
    village: Region | None = None,
    phones: list[str] | tuple[str, ...] = (),
    names: list[str] | tuple[str, ...] = (),
    exclude: int | None = None,
) -> list[Family]:
    """The families of active children `user` may see (in `village` when given) with a
    parent's or the entrusted carer's phone among `phones` or name among `names`; at most
    MATCH_LIMIT. Two queries (the children with their households' members)."""
    phones = [p.strip() for p in phones if p and p.strip()]
    names = [n.strip() for n in names if n and n.strip()]
    if not phones and not names:
        return []
    q = models.Q()
    if phones:
        q |= models.Q(carer_phone__in=phones) | models.Q(parents__phone__in=phones)
    if names:
        q |= models.Q(carer_name__in=names) | models.Q(parents__name__in=names)
    children = Child.objects.visible_to(user).filter(q, status=Status.ACTIVE)
    if village is not None:
        children = children.filter(village=village)
    if exclude is not None:
        children = children.exclude(pk=exclude)
    ids = list(children.values_list("pk", flat=True).distinct()[: MATCH_LIMIT * 3])
    rows = (
        Child.objects.filter(pk__in=ids)
        .select_related("household", "village")
        .order_by("household_id", "pk")
    )
    families: dict[str, Family] = {}
    for child in rows:
        family = (
            Family(household=child.household, child=None)
            if child.household is not None
            else Family(household=None, child=child)
        )
        families.setdefault(family.key, family).names.append(child.name)
    return list(families.values())[:MATCH_LIMIT]


def families_for_input(user: User, data: ChildInput, exclude: int | None = None) -> list[Family]:
    """The families matching a registration's phones and names, in its village."""
    parents = data.parents or {}
    phones = [data.fields.get("carer_phone") or ""] + [
        (p or {}).get("phone") or "" for p in parents.values()
    ]
    names = [data.fields.get("carer_name") or ""] + [
        (p or {}).get("name") or "" for p in parents.values()
    ]
    if data.village is None:
        return []
    return families_matching(
        user, village=data.village, phones=phones, names=names, exclude=exclude
    )
