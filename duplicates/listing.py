"""The district-wide list of likely duplicates: every pair of archives in a district that
children.duplicates would show at registration, found without comparing every child with
every other.

The district's children are read once, ordered by date of birth (an index range), with only
the matching columns. Within one date of birth, children are compared only inside blocks
that any likely pair must share: the first character of the name, the name without its first
character (so a one-character difference anywhere is caught), the pinyin, the guardian and
the guardian's phone. Pairs across dates (a mistyped date) share the village and the pinyin,
or a phone: two GROUP BY queries find those blocks in SQL.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import Count

from children.choices import CloseReason
from children.duplicates import REASON_WEIGHTS, Draft, reasons_for
from children.models import Child, Parent
from children.models_duplicates import NotDuplicate
from core.scoping import Scope

Row = dict[str, Any]
Pair = tuple[int, int, tuple[str, ...], int]
FIELDS = ("pk", "name", "name_pinyin", "birth_date", "village_id", "carer_name",
          "carer_phone", "id_hash")  # fmt: skip
# Blocks larger than this are compared too (they are rare: a common name on a common date).
CHUNK = 5000


def _draft(row: Row, phones: set[str]) -> Draft:
    return Draft(
        name=row["name"],
        birth_date=row["birth_date"],
        village_id=row["village_id"],
        carer_name=row["carer_name"],
        phones=tuple(sorted(phones)),
        has_id=bool(row["id_hash"]),
        pinyin=row["name_pinyin"],
        exclude_pk=row["pk"],
    )


def _keys(row: Row, phones: set[str]) -> Iterator[tuple[str, str]]:
    name = row["name"]
    if name:
        yield "first", name[:1]
        yield "rest", name[1:]
    if row["name_pinyin"]:
        yield "pinyin", row["name_pinyin"]
    if row["carer_name"]:
        yield "guardian", row["carer_name"]
    for phone in phones:
        yield "phone", phone


def _compare(
    rows: list[Row], phones: dict[int, set[str]], out: dict[tuple[int, int], Pair]
) -> None:
    blocks: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        for key in _keys(row, phones.get(row["pk"], set())):
            blocks[key].append(row)
    for block in blocks.values():
        for a, b in itertools.combinations(block, 2):
            pair = (a["pk"], b["pk"]) if a["pk"] < b["pk"] else (b["pk"], a["pk"])
            if pair in out:
                continue
            reasons = reasons_for(
                _draft(a, phones.get(a["pk"], set())), b, phones.get(b["pk"], set())
            )
            if reasons:
                out[pair] = (*pair, reasons, sum(REASON_WEIGHTS[r] for r in reasons))


def district_duplicates(
    scope: Scope, progress: Callable[[int, int], None] | None = None
) -> tuple[int, list[Pair]]:
    """(children read, likely pairs) inside `scope` (a district's), the closest first;
    pairs already called "not the same child" are left out. `progress(done, total)` is
    called as the children are read."""
    base = Child.objects.in_scope(scope).exclude(close_reason=CloseReason.MERGED)
    total = base.count()
    parent_phones: dict[int, set[str]] = defaultdict(set)
    for child_id, phone in (
        Parent.objects.filter(child__in=base).exclude(phone="").values_list("child_id", "phone")
    ).iterator(chunk_size=CHUNK):
        parent_phones[child_id].add(phone)

    def phones_of(row: Row) -> set[str]:
        found = set(parent_phones.get(row["pk"], ()))
        if row["carer_phone"]:
            found.add(row["carer_phone"])
        return found

    pairs: dict[tuple[int, int], Pair] = {}
    done = 0
    rows = base.order_by("birth_date", "pk").values(*FIELDS).iterator(chunk_size=CHUNK)
    for _birth, group in itertools.groupby(rows, key=lambda r: r["birth_date"]):
        same_day = list(group)
        if len(same_day) > 1:
            _compare(same_day, {r["pk"]: phones_of(r) for r in same_day}, pairs)
        done += len(same_day)
        if progress is not None:
            progress(done, total)

    # Across dates of birth: the same pinyin in the same village, or a shared phone.
    for block in _cross_date_blocks(base, parent_phones):
        _compare(block, {r["pk"]: phones_of(r) for r in block}, pairs)

    dismissed = set(NotDuplicate.objects.filter(child__in=base).values_list("child_id", "other_id"))
    kept = [p for key, p in pairs.items() if key not in dismissed]
    kept.sort(key=lambda p: (-p[3], p[0], p[1]))
    return total, kept


def _chunked(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _cross_date_blocks(base: Any, parent_phones: dict[int, set[str]]) -> Iterable[list[Row]]:
    """Blocks of archives born on different dates that share the village and the pinyin, the
    guardian's phone, or a parent's phone: the keys found by GROUP BY, the rows then read in
    chunks (a few queries, not one per block)."""
    names = set(
        base.values("village_id", "name_pinyin")
        .annotate(n=Count("pk"), dates=Count("birth_date", distinct=True))
        .filter(n__gt=1, dates__gt=1)
        .values_list("village_id", "name_pinyin")
    )
    for chunk in _chunked(sorted({pinyin for _v, pinyin in names})):
        blocks: dict[tuple[int, str], list[Row]] = defaultdict(list)
        for row in base.filter(name_pinyin__in=chunk).values(*FIELDS):
            key = (row["village_id"], row["name_pinyin"])
            if key in names:
                blocks[key].append(row)
        yield from blocks.values()
    phones = sorted(
        base.exclude(carer_phone="")
        .values("carer_phone")
        .annotate(n=Count("pk"), dates=Count("birth_date", distinct=True))
        .filter(n__gt=1, dates__gt=1)
        .values_list("carer_phone", flat=True)
    )
    for chunk in _chunked(phones):
        by_phone: dict[str, list[Row]] = defaultdict(list)
        for row in base.filter(carer_phone__in=chunk).values(*FIELDS):
            by_phone[row["carer_phone"]].append(row)
        yield from by_phone.values()
    # A parent's phone shared by several archives (siblings, or one child twice).
    sharing: dict[str, list[int]] = defaultdict(list)
    for child_id, child_phones in parent_phones.items():
        for phone in child_phones:
            sharing[phone].append(child_id)
    shared = [ids for ids in sharing.values() if len(ids) > 1]
    for group in _chunked(shared, 200):
        rows = {
            r["pk"]: r
            for ids in _chunked(sorted({pk for ids in group for pk in ids}), 1000)
            for r in base.filter(pk__in=ids).values(*FIELDS)
        }
        for ids in group:
            block = [rows[pk] for pk in ids if pk in rows]
            if len({r["birth_date"] for r in block}) > 1:
                yield block
