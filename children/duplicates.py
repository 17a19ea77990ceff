"""Likely duplicates (一人一档): the archives that may be the same child as a registration,
a roster row or a row of another department's list, beyond the exact ID-number check.

A candidate shares enough with the draft to be worth a look:
- the same date of birth and a similar name (the same characters but one, or the same
  pinyin: 张晓明 / 张小明), or the same guardian or guardian's phone;
- or a similar name and the same village or the same guardian's phone (a mistyped date).
Two archives that both carry a valid ID number are different people (the ID check already
compared them), and a pair someone already called "not the same child" is not shown again.

Every lookup is an indexed equality (date of birth with the region code, pinyin, phone)
inside the caller's scope, so a check costs a few small queries whatever the archive's size.
`likely_duplicates_many` checks a batch of rows (an import) in the same few queries.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from children import idnumber
from children.choices import CloseReason
from children.models import Child, Parent
from children.models_duplicates import NotDuplicate
from children.registration import ChildInput, SaveResult, child_save, pinyin_keys
from core import clock
from core.scoping import Scope, get_scope
from org.models import User

# At most this many candidates are shown for one draft (the closest first).
MAX_CANDIDATES = 10
# Lookups in one query for a batch (the IN lists stay short enough for every database).
BATCH = 500

REASON_LABELS = {
    "birth_date": _("same date of birth"),
    "name": _("same name"),
    "similar_name": _("name differs by one character"),
    "pinyin": _("same name in pinyin"),
    "village": _("same village"),
    "guardian": _("same guardian"),
    "guardian_phone": _("same guardian's phone"),
}
# The order reasons are listed in, and their weights in the score (the closest first).
REASON_WEIGHTS = {
    "name": 5,
    "birth_date": 4,
    "similar_name": 3,
    "pinyin": 3,
    "guardian_phone": 3,
    "guardian": 2,
    "village": 1,
}


@dataclass(frozen=True)
class Draft:
    """What a registration or a row says about a child, as far as matching goes."""

    name: str
    birth_date: datetime.date | None
    village_id: int | None = None
    carer_name: str = ""
    phones: tuple[str, ...] = ()  # the carer's and the parents' phones
    has_id: bool = False  # carries a valid ID number
    pinyin: str = ""  # filled by `draft` when empty
    exclude_pk: int | None = None  # the archive itself, when checking a saved child


@dataclass(frozen=True)
class Candidate:
    child: Child
    reasons: tuple[str, ...]
    score: int

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reasons]


def draft(
    *,
    name: str,
    birth_date: datetime.date | None,
    village_id: int | None = None,
    carer_name: str = "",
    phones: Iterable[str] = (),
    id_number: str = "",
    exclude_pk: int | None = None,
) -> Draft:
    """A `Draft` with its pinyin key computed (the way the archive stores it). A valid ID
    number gives the date of birth when none is given; a mistyped one is left out and the
    child matched on the rest."""
    facts = None
    if id_number:
        try:
            facts = idnumber.parse(id_number, clock.today())
        except ValidationError:
            facts = None
    name = (name or "").strip()
    return Draft(
        name=name,
        birth_date=birth_date or (facts.birth_date if facts else None),
        village_id=village_id,
        carer_name=(carer_name or "").strip(),
        phones=tuple(sorted({p.strip() for p in phones if p and p.strip()})),
        has_id=facts is not None,
        pinyin=pinyin_keys(name)[0] if name else "",
        exclude_pk=exclude_pk,
    )


def draft_of_input(data: ChildInput, *, exclude_pk: int | None = None) -> Draft:
    """The draft of what a registration (page, API, roster row) supplies."""
    f = data.fields
    parent_phones = [(p or {}).get("phone") or "" for p in data.parents.values()]
    return draft(
        name=f.get("name") or "",
        birth_date=f.get("birth_date"),
        village_id=data.village.pk if data.village is not None else None,
        carer_name=f.get("carer_name") or "",
        phones=[f.get("carer_phone") or "", *parent_phones],
        id_number=data.id_number,
        exclude_pk=exclude_pk,
    )


def registration_candidates(
    user: User, data: ChildInput, client_token: uuid.UUID | None = None
) -> list[Candidate]:
    """The likely duplicates to show before registering `data`: none when the same form was
    already saved (a retry carries the same client token)."""
    if client_token is not None and Child.objects.filter(client_token=client_token).exists():
        return []
    return likely_duplicates(user, draft_of_input(data))


def unacknowledged(candidates: Sequence[Candidate], acknowledged: Iterable[int]) -> bool:
    """True when some candidate was not marked "not the same child"."""
    return bool({c.child.pk for c in candidates} - set(acknowledged))


def draft_of(child: Child) -> Draft:
    """The draft of a saved archive (for its own candidates and the district list)."""
    phones = [child.carer_phone, *(p.phone for p in child.parents.all())]
    return Draft(
        name=child.name,
        birth_date=child.birth_date,
        village_id=child.village_id,
        carer_name=child.carer_name,
        phones=tuple(sorted({p for p in phones if p})),
        has_id=bool(child.id_hash),
        pinyin=child.name_pinyin,
        exclude_pk=child.pk,
    )


def one_apart(a: str, b: str) -> bool:
    """True when `b` is `a` with one character replaced, added or removed."""
    if a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def reasons_for(d: Draft, row: dict[str, Any], row_phones: set[str]) -> tuple[str, ...]:
    """The reasons `row` (a child's values) may be the child of `d`; empty when it is not a
    likely duplicate."""
    if d.has_id and row["id_hash"]:
        return ()  # two valid ID numbers: two people
    reasons = []
    same_birth = d.birth_date is not None and row["birth_date"] == d.birth_date
    if same_birth:
        reasons.append("birth_date")
    name_match = False
    if d.name and row["name"] == d.name:
        reasons.append("name")
        name_match = True
    else:
        if d.name and one_apart(d.name, row["name"]):
            reasons.append("similar_name")
            name_match = True
        if d.pinyin and row["name_pinyin"] == d.pinyin:
            reasons.append("pinyin")
            name_match = True
    if d.village_id is not None and row["village_id"] == d.village_id:
        reasons.append("village")
    guardian = bool(d.carer_name) and row["carer_name"] == d.carer_name
    if guardian:
        reasons.append("guardian")
    phone = bool(set(d.phones) & row_phones)
    if phone:
        reasons.append("guardian_phone")
    likely = (same_birth and (name_match or phone or guardian)) or (
        name_match and ("village" in reasons or phone)
    )
    return tuple(sorted(reasons, key=lambda r: -REASON_WEIGHTS[r])) if likely else ()


FIELDS = ("pk", "name", "name_pinyin", "birth_date", "village_id", "carer_name",
          "carer_phone", "id_hash")  # fmt: skip


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), BATCH):
        yield list(values[start : start + BATCH])


def _pool(
    scope_q: Q, drafts: Sequence[Draft]
) -> tuple[dict[int, dict[str, Any]], dict[int, set[str]]]:
    """The children that could match any of `drafts`: same date of birth, same pinyin or
    a shared phone, inside the scope. Indexed equality lookups, in chunks."""
    base = Child.objects.filter(scope_q).exclude(close_reason=CloseReason.MERGED)
    rows: dict[int, dict[str, Any]] = {}
    births = sorted({d.birth_date for d in drafts if d.birth_date})
    pinyins = sorted({d.pinyin for d in drafts if d.pinyin})
    phones = sorted({p for d in drafts for p in d.phones})
    for chunk in _chunks(births):
        rows.update((r["pk"], r) for r in base.filter(birth_date__in=chunk).values(*FIELDS))
    for chunk in _chunks(pinyins):
        rows.update((r["pk"], r) for r in base.filter(name_pinyin__in=chunk).values(*FIELDS))
    for chunk in _chunks(phones):
        rows.update((r["pk"], r) for r in base.filter(carer_phone__in=chunk).values(*FIELDS))
        by_parent = Parent.objects.filter(phone__in=chunk, child__in=base).values_list(
            "child_id", flat=True
        )
        missing = set(by_parent) - set(rows)
        if missing:
            rows.update((r["pk"], r) for r in base.filter(pk__in=missing).values(*FIELDS))
    row_phones: dict[int, set[str]] = {pk: {r["carer_phone"]} - {""} for pk, r in rows.items()}
    if phones and rows:
        for chunk in _chunks(sorted(rows)):
            for child_id, phone in (
                Parent.objects.filter(child_id__in=chunk)
                .exclude(phone="")
                .values_list("child_id", "phone")
            ):
                row_phones[child_id].add(phone)
    return rows, row_phones


def _dismissed(pks: Iterable[int]) -> set[tuple[int, int]]:
    pks = sorted(set(pks))
    if not pks:
        return set()
    pairs = NotDuplicate.objects.filter(Q(child__in=pks) | Q(other__in=pks)).values_list(
        "child_id", "other_id"
    )
    return set(pairs)


def match(
    scope_q: Q, drafts: Sequence[Draft], limit: int = MAX_CANDIDATES
) -> list[list[tuple[int, tuple[str, ...], int]]]:
    """For each draft, its likely duplicates among the children `scope_q` selects, as
    (child id, reasons, score), the closest first. The function other imports call (a list
    from another department: `scope_q` is the district's, `Child.objects.in_scope(...)`)."""
    rows, row_phones = _pool(scope_q, drafts)
    own = [d.exclude_pk for d in drafts if d.exclude_pk]
    dismissed = _dismissed(own)
    out = []
    for d in drafts:
        found = []
        for pk, row in rows.items():
            if pk == d.exclude_pk:
                continue
            if d.exclude_pk and (min(pk, d.exclude_pk), max(pk, d.exclude_pk)) in dismissed:
                continue
            reasons = reasons_for(d, row, row_phones.get(pk, set()))
            if reasons:
                found.append((pk, reasons, sum(REASON_WEIGHTS[r] for r in reasons)))
        found.sort(key=lambda f: (-f[2], f[0]))
        out.append(found[:limit])
    return out


def likely_duplicates_many(user: User, drafts: Sequence[Draft]) -> list[list[Candidate]]:
    """Each draft's likely duplicates among the children `user` may see (scoping: a child
    out of the user's scope is never shown), with the children loaded in one query."""
    # The pool is read inside the user's regions (the lookups stay on their indexes); the
    # few found are then loaded through visible_to, the one rule of what the user may see.
    visible = Child.objects.visible_to(user)
    found = match(get_scope(user).q("region_code"), drafts)
    pks = {pk for per in found for pk, _r, _s in per}
    children = visible.select_related("village").in_bulk(pks) if pks else {}
    return [
        [Candidate(children[pk], reasons, score) for pk, reasons, score in per if pk in children]
        for per in found
    ]


def likely_duplicates(user: User, d: Draft) -> list[Candidate]:
    """The likely duplicates of one draft that `user` may see."""
    return likely_duplicates_many(user, [d])[0]


def scope_match(
    scope: Scope, drafts: Sequence[Draft]
) -> list[list[tuple[int, tuple[str, ...], int]]]:
    """`match` inside a region scope (a district's list, a task's reach)."""
    return match(scope.q("region_code"), drafts)


class LikelyDuplicates(Exception):
    """A registration not saved because of likely duplicates nobody ruled out yet."""

    def __init__(self, candidates: list[Candidate]) -> None:
        super().__init__("likely duplicates")
        self.candidates = candidates


def child_register(
    *,
    by: User,
    data: ChildInput,
    client_token: uuid.UUID | None = None,
    acknowledged: Iterable[int] = (),
    context: str = "registration",
) -> SaveResult:
    """Register a child unless it has likely duplicates that `acknowledged` does not rule
    out ("not the same child": raise LikelyDuplicates, nothing saved). The decision is
    recorded with the registration, in its transaction."""
    acknowledged = set(acknowledged)
    candidates = registration_candidates(by, data, client_token)
    if unacknowledged(candidates, acknowledged):
        raise LikelyDuplicates(candidates)
    with transaction.atomic():
        result = child_save(by=by, data=data, client_token=client_token)
        if result.created:
            not_duplicate_record(
                by=by,
                child=result.child,
                others=acknowledged & {c.child.pk for c in candidates},
                context=context,
            )
    return result


def not_duplicate_record(*, by: User, child: Child, others: Iterable[int], context: str) -> int:
    """Record that `child` is not the same child as each of `others` (the candidates shown
    when it was saved). Idempotent; returns the number of new decisions."""
    now = clock.now()
    rows = [
        NotDuplicate(
            child_id=min(child.pk, other),
            other_id=max(child.pk, other),
            decided_by=by,
            decided_at=now,
            context=context,
        )
        for other in sorted(set(others))
        if other != child.pk
    ]
    before = NotDuplicate.objects.filter(Q(child=child) | Q(other=child)).count()
    NotDuplicate.objects.bulk_create(rows, ignore_conflicts=True)
    return NotDuplicate.objects.filter(Q(child=child) | Q(other=child)).count() - before
