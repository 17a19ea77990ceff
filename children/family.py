"""The child's family: parents (their checks, how they are read and written) and the facts
the rules derive from the child and its family (key-child reasons, eligibility warnings)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from children import idnumber, rules
from children.choices import Gender, ParentRelation, ParentStatus
from children.fields import PARENT_FIELDS
from children.models import Child, Parent
from core import clock
from org.models import User, phone_validator


def parents_check(parents: dict[str, dict[str, Any]], today: datetime.date) -> dict[str, list[str]]:
    """The errors of the parents a registration supplies, keyed by form field
    (`father_phone`, ...): situation, ID number and gender, phone, missing since."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for relation, values in parents.items():
        if not values.get("status"):
            if any(values.get(k) for k in ("name", "id_number", "phone")):
                err(f"{relation}_status", _("Give this parent's situation."))
            continue
        if values.get("id_number"):
            try:
                parent_facts = idnumber.parse(values["id_number"], today)
            except ValidationError as exc:
                for message in exc.messages:
                    err(f"{relation}_id_number", message)
            else:
                expected = "M" if relation == ParentRelation.FATHER else "F"
                if parent_facts.gender != expected:
                    err(
                        f"{relation}_id_number",
                        _("This ID number belongs to a %(gender)s.")
                        % {"gender": Gender(parent_facts.gender).label},
                    )
        if values.get("phone"):
            try:
                phone_validator(values["phone"])
            except ValidationError as exc:
                err(f"{relation}_phone", exc.messages[0])
        if values["status"] == ParentStatus.MISSING and not values.get("missing_since"):
            err(f"{relation}_missing_since", _("Give the date since when the parent is missing."))
        if values.get("missing_since") and values["missing_since"] > today:
            err(f"{relation}_missing_since", _("This date cannot be in the future."))
    return errors


def parents_of(child: Child) -> dict[str, dict[str, Any]]:
    """The recorded parents of `child` by relation, as a registration supplies them."""
    result = {}
    for parent in child.parents.all():
        values = {k: getattr(parent, k) for k in PARENT_FIELDS if k != "id_number"}
        values["id_number"] = parent.id_number
        result[parent.relation] = values
    return result


def parents_save(*, by: User, child: Child, parents: dict[str, dict[str, Any]]) -> bool:
    """Write the parents of `child` (a relation given without a situation is removed);
    True when any row changed."""
    changed = False
    current = {p.relation: p for p in child.parents.all()}
    for relation in ParentRelation.values:
        values = parents.get(relation)
        parent = current.get(relation)
        if not values or not values.get("status"):
            if parent is not None and relation in parents:
                parent._history_user = by  # type: ignore[attr-defined]
                parent.delete()
                changed = True
            continue
        if parent is None:
            parent = Parent(child=child, relation=relation)
        dirty = parent.pk is None
        for key in PARENT_FIELDS:
            if key == "id_number":
                if (values.get(key) or "") != parent.id_number:
                    parent.set_id_number(values.get(key) or "")
                    dirty = True
                continue
            value = values.get(key)
            if value is None and key != "missing_since":
                value = ""
            if getattr(parent, key) != value:
                setattr(parent, key, value)
                dirty = True
        if dirty:
            parent._history_user = by  # type: ignore[attr-defined]
            parent.save()
            changed = True
    return changed


def child_facts(
    child: Child, parents: dict[str, dict[str, Any]], categories: list[str]
) -> rules.Facts:
    """The facts the rules derive key-child reasons and eligibility warnings from."""
    return rules.Facts(
        birth_date=child.birth_date,
        parent_statuses=tuple(v["status"] for v in parents.values() if v.get("status")),
        categories=frozenset(categories),
        guardian_type=child.guardian_type,
        carer_capacity=child.carer_capacity,
        schooling=child.schooling,
        health=child.health,
        psychological_concern=child.psychological_concern,
    )


def child_warnings(*, child: Child, today: datetime.date | None = None) -> list[Promise]:
    """Eligibility warnings of a saved child (for its archive page)."""
    today = today or clock.today()
    parents = {p.relation: {"status": p.status} for p in child.parents.all()}
    return rules.eligibility_warnings(child_facts(child, parents, child.category_codes()), today)
