"""Per-field merging of an edit made on a phone from an older version of a child's archive
(issue 14: conflicts are detected per field, never silently overwritten).

The phone caches each child with its `version` (the id of the child's latest history row,
`ChildQuerySet.with_version`) and sends that version back as `base_version` with its edit.
For every field it sent, three values are compared: *base* (the field in the history row
`base_version`), *theirs* (the field now) and *yours* (the phone's value):

- theirs == base: nobody else changed it since; yours is applied;
- yours == theirs: both sides agree; nothing to write, counted as applied;
- yours == base (the phone did not change it) and theirs differs: the server's value stays
  (`kept`);
- all three differ: a conflict. Nothing is written to that field; the caller answers 409
  with the values, who changed the server's value and when. The director chooses and sends
  again from the version the 409 gave, which makes the server's value the base: her choice
  is then applied like any other edit.

Everything the phone sent is validated first, as `child_save` would, so a bad value is
refused (400, nothing saved) even where it is not applied. The applied fields are saved
through `registration.child_save` (one history row, the user as its author), under a lock
of the child's row, so a concurrent save cannot slip between the comparison and the write.

Parents are not merged here: they are kept in their own table and history, and the phone
does not cache them; an edit from a base version that sends them is refused.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from children import crypto, idnumber, registration
from children.fields import CHILD_FIELDS
from children.models import Child
from org.models import User

# The fields of the API's child an edit from a base version may carry.
MERGED_FIELDS = (*CHILD_FIELDS, "village", "categories", "id_number", "carer_id_number")
# Optional dates: None stays None; every other empty value is "" (as `child_save` stores it).
_NULLABLE = ("entrustment_signed_on",)
_IDENTIFIERS = ("id_number", "carer_id_number")


@dataclass(frozen=True)
class Conflict:
    yours: Any
    theirs: Any
    base: Any
    changed_by: str
    changed_at: datetime.datetime | None


@dataclass
class MergeOutcome:
    applied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    conflicts: dict[str, Conflict] = field(default_factory=dict)
    result: registration.SaveResult | None = None
    version: int | None = None


def _id_hash(number: str) -> str | None:
    if not number:
        return None
    try:
        return crypto.lookup_hash(idnumber.normalize(number))
    except (ValidationError, ValueError):
        return crypto.lookup_hash(number)


def _masked(number: str) -> str:
    return idnumber.mask(idnumber.normalize(number)) if number else ""


class _Reader:
    """Reads one field's comparable value (`key`) and its value as shown in a conflict
    (`shown`) from the child, a history row, or the phone's validated data."""

    def __init__(self, name: str) -> None:
        self.name = name

    def key(self, record: Any) -> Any:
        name = self.name
        if name == "village":
            return record.region_code
        if name == "categories":
            rows = (
                record.historicalchild_categories_set.all()
                if hasattr(record, "historicalchild_categories_set")
                else record.categories.all()
            )
            return sorted(getattr(row, "categorytag_id", None) or row.pk for row in rows)
        if name == "id_number":
            return record.id_hash or None
        if name == "carer_id_number":
            return crypto.decrypt(record.carer_id_cipher)
        return self.normal(getattr(record, name))

    def sent_key(self, value: Any) -> Any:
        name = self.name
        if name == "village":
            return value.code
        if name == "categories":
            return sorted(value)
        if name == "id_number":
            return _id_hash(str(value or ""))
        if name == "carer_id_number":
            return idnumber.normalize(value) if value else ""
        return self.normal(value)

    def normal(self, value: Any) -> Any:
        if value is None and self.name not in _NULLABLE:
            return ""
        return value

    def shown(self, record: Any) -> Any:
        if self.name == "id_number":
            return record.id_masked
        if self.name == "carer_id_number":
            return _masked(crypto.decrypt(record.carer_id_cipher))
        return _json(self.key(record))

    def sent_shown(self, value: Any) -> Any:
        if self.name in ("id_number", "carer_id_number"):
            return _masked(str(value or ""))
        return _json(self.sent_key(value))


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _last_change(reader: _Reader, rows: list[Any]) -> Any:
    """The history row that last changed the field, among `rows` (the base row first)."""
    last = None
    for previous, row in itertools.pairwise(rows):
        if reader.key(row) != reader.key(previous):
            last = row
    return last


def child_merge(
    *,
    by: User,
    child: Child,
    sent: dict[str, Any],
    base_version: int,
    to_input: Callable[[dict[str, Any], Child], registration.ChildInput],
    today: datetime.date | None = None,
) -> MergeOutcome:
    """Apply `sent` (the API's validated fields) to `child`, field by field against the
    history row `base_version` (see the module's docstring). `to_input` builds the service's
    input from fields and the current child (the API's own mapping). Raises ValidationError
    keyed by field (`base_version` when it is not a version of this child) or
    DuplicateChild; returns what was applied, kept and in conflict, and the new version."""
    history = Child.history.model.objects
    if not history.filter(id=child.pk, history_id=base_version).exists():
        raise ValidationError(
            {"base_version": [_("This is not a version of this child's archive.")]}
        )
    if "parents" in sent:
        raise ValidationError(
            {"parents": [_("Parents cannot be changed together with a base version.")]}
        )
    with transaction.atomic():
        # Lock the row first: nothing else saves the child between comparing and writing.
        current = (
            Child.objects.select_for_update()
            .select_related("village")
            .prefetch_related("categories", "parents")
            .get(pk=child.pk)
        )
        registration.child_check(by=by, data=to_input(dict(sent), current), instance=current)
        rows = list(
            history.filter(id=child.pk, history_id__gte=base_version)
            .select_related("history_user")
            .prefetch_related("historicalchild_categories_set")
            .order_by("history_id")
        )
        outcome = MergeOutcome()
        apply: dict[str, Any] = {}
        for name in (n for n in MERGED_FIELDS if n in sent):
            if name in _IDENTIFIERS and "*" in str(sent[name] or ""):
                continue  # the masked number echoed back: the one on record is kept
            reader = _Reader(name)
            yours, theirs = reader.sent_key(sent[name]), reader.key(current)
            base = reader.key(rows[0])
            if yours == theirs:
                outcome.applied.append(name)
            elif theirs == base:
                apply[name] = sent[name]
                outcome.applied.append(name)
            elif yours == base:
                outcome.kept.append(name)
            else:
                change = _last_change(reader, rows)
                outcome.conflicts[name] = Conflict(
                    yours=reader.sent_shown(sent[name]),
                    theirs=reader.shown(current),
                    base=reader.shown(rows[0]),
                    changed_by=(
                        change.history_user.get_full_name()
                        if change is not None and change.history_user is not None
                        else ""
                    ),
                    changed_at=change.history_date if change is not None else None,
                )
        if apply:
            outcome.result = registration.child_save(
                by=by, data=to_input(apply, current), instance=current, today=today
            )
        latest = history.filter(id=child.pk).order_by("-history_id").values("history_id")[:1]
        outcome.version = latest[0]["history_id"] if latest else None
    return outcome
