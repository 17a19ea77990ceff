"""The district-wide list of likely duplicates: every pair of archives in a district that
children.duplicates would show at registration (the same rule, `reasons_for`), found without
comparing every child with every other.

The district's children are read once, ordered by date of birth (an index range), with only
the matching columns and the parents' phones (two indexed subqueries), so memory holds one
date of birth at a time. Within one date, children are compared only inside blocks that any
likely pair must share: the first character of the name, the name without its first
character (so one character replaced anywhere is caught), the pinyin, the guardian and the
phones. Pairs across dates (a mistyped date) share the village and the pinyin, or a phone:
GROUP BY queries find those keys in SQL and their rows are read in chunks.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, FilteredRelation, Q, QuerySet

from children.choices import CloseReason, ParentRelation
from children.duplicates import REASON_WEIGHTS, Draft, reasons_for
from children.models import Child, Parent
from children.models_duplicates import NotDuplicate
from core.scoping import Scope

Row = dict[str, Any]
Pair = tuple[int, int, tuple[str, ...], int]
FIELDS = ("pk", "name", "name_pinyin", "birth_date", "village_id", "carer_name",
          "carer_phone", "id_hash", "father_phone", "mother_phone")  # fmt: skip
CHUNK = 5000  # rows per fetch of the streamed read
KEYS_PER_QUERY = 500


def district_children(scope: Scope) -> QuerySet[Child]:
    """The archives a district's list compares: all but tombstones, with the parents'
    phones (a LEFT JOIN per relation: one parent per relation and child)."""
    return (
        Child.objects.in_scope(scope)
        .exclude(close_reason=CloseReason.MERGED)
        .annotate(
            father=FilteredRelation(
                "parents", condition=Q(parents__relation=ParentRelation.FATHER)
            ),
            mother=FilteredRelation(
                "parents", condition=Q(parents__relation=ParentRelation.MOTHER)
            ),
            father_phone=F("father__phone"),
            mother_phone=F("mother__phone"),
        )
    )


def _phones(row: Row) -> set[str]:
    return {row["carer_phone"], row["father_phone"] or "", row["mother_phone"] or ""} - {""}


def _draft(row: Row) -> Draft:
    return Draft(
        name=row["name"],
        birth_date=row["birth_date"],
        village_id=row["village_id"],
        carer_name=row["carer_name"],
        phones=tuple(sorted(_phones(row))),
        has_id=bool(row["id_hash"]),
        pinyin=row["name_pinyin"],
        exclude_pk=row["pk"],
    )


def _keys(row: Row) -> Iterator[tuple[str, str]]:
    name = row["name"]
    if name:
        yield "first", name[:1]
        yield "rest", name[1:]
    if row["name_pinyin"]:
        yield "pinyin", row["name_pinyin"]
    if row["carer_name"]:
        yield "guardian", row["carer_name"]
    for phone in _phones(row):
        yield "phone", phone


def _compare(rows: Iterable[Row], out: dict[tuple[int, int], Pair]) -> None:
    """Add to `out` the likely pairs among `rows`, comparing only rows that share a block
    key. Two archives with valid ID numbers are never a pair, so the blocks are built from
    the rows without one, and the others are only looked up in them."""
    rows = list(rows)
    blocks: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        if not row["id_hash"]:
            for key in _keys(row):
                blocks[key].append(row)
    if not blocks:
        return

    def check(a: Row, b: Row) -> None:
        pair = (a["pk"], b["pk"]) if a["pk"] < b["pk"] else (b["pk"], a["pk"])
        if pair[0] != pair[1] and pair not in out:
            reasons = reasons_for(_draft(a), b, _phones(b))
            if reasons:
                out[pair] = (*pair, reasons, sum(REASON_WEIGHTS[r] for r in reasons))

    for block in blocks.values():
        for a, b in itertools.combinations(block, 2):
            check(a, b)
    for row in rows:
        if row["id_hash"]:
            for key in _keys(row):
                for probe in blocks.get(key, ()):
                    check(probe, row)


def district_duplicates(
    scope: Scope, progress: Callable[[int, int], None] | None = None
) -> tuple[int, list[Pair]]:
    """(children read, likely pairs) inside `scope` (a district's), the closest first;
    pairs already called "not the same child" are left out. `progress(done, total)` is
    called as the children are read."""
    base = district_children(scope)
    total = Child.objects.in_scope(scope).exclude(close_reason=CloseReason.MERGED).count()
    pairs: dict[tuple[int, int], Pair] = {}
    done = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The whole result is read: plan for all of it, not for the first rows (what
            # PostgreSQL assumes of a cursor, and then joins the parents row by row).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        rows = base.order_by("birth_date", "pk").values(*FIELDS).iterator(chunk_size=CHUNK)
        for _birth, group in itertools.groupby(rows, key=lambda r: r["birth_date"]):
            same_day = list(group)
            if len(same_day) > 1:
                _compare(same_day, pairs)
            done += len(same_day)
            if progress is not None:
                progress(done, total)
    for block in _cross_date_blocks(scope, base):
        _compare(block, pairs)
    dismissed = set(
        NotDuplicate.objects.filter(child__in=base.values("pk")).values_list("child_id", "other_id")
    )
    kept = [p for key, p in pairs.items() if key not in dismissed]
    kept.sort(key=lambda p: (-p[3], p[0], p[1]))
    return total, kept


def _chunked(values: list[Any], size: int = KEYS_PER_QUERY) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _cross_date_blocks(scope: Scope, base: QuerySet[Child]) -> Iterable[list[Row]]:
    """Blocks of archives born on different dates that share the village and the pinyin, or
    a phone (the guardian's or a parent's), at least one of them without a valid ID number:
    the keys found by GROUP BY, the rows then read a chunk of keys at a time."""
    plain = Child.objects.in_scope(scope).exclude(close_reason=CloseReason.MERGED)

    def shared(qs: QuerySet[Any], *key: str) -> QuerySet[Any]:
        grouped: QuerySet[Any] = (
            qs.values(*key)
            .annotate(n=Count("pk"), dates=Count("birth_date", distinct=True))
            .filter(n__gt=1, dates__gt=1)
        )
        return grouped

    def without_id(qs: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
        return qs.filter(**{f"{prefix}id_hash__isnull": True})

    names = set(
        shared(plain, "village_id", "name_pinyin")
        .filter(name_pinyin__in=without_id(plain).values("name_pinyin"))
        .values_list("village_id", "name_pinyin")
    )
    for chunk in _chunked(sorted({pinyin for _v, pinyin in names})):
        by_name: dict[tuple[int, str], list[Row]] = defaultdict(list)
        for row in base.filter(name_pinyin__in=chunk).values(*FIELDS):
            key = (row["village_id"], row["name_pinyin"])
            if key in names:
                by_name[key].append(row)
        yield from by_name.values()

    carer_phones = sorted(
        shared(plain.exclude(carer_phone=""), "carer_phone")
        .filter(carer_phone__in=without_id(plain).values("carer_phone"))
        .values_list("carer_phone", flat=True)
    )
    for chunk in _chunked(carer_phones):
        by_phone: dict[str, list[Row]] = defaultdict(list)
        for row in base.filter(carer_phone__in=chunk).values(*FIELDS):
            by_phone[row["carer_phone"]].append(row)
        yield from by_phone.values()

    parents = Parent.objects.filter(child__in=plain.values("pk")).exclude(phone="")
    parent_phones = sorted(
        parents.values("phone")
        .annotate(n=Count("child", distinct=True), dates=Count("child__birth_date", distinct=True))
        .filter(n__gt=1, dates__gt=1)
        .filter(phone__in=parents.filter(child__id_hash__isnull=True).values("phone"))
        .values_list("phone", flat=True)
    )
    for chunk in _chunked(parent_phones):
        members: dict[str, set[int]] = defaultdict(set)
        for child_id, phone in parents.filter(phone__in=chunk).values_list("child_id", "phone"):
            members[phone].add(child_id)
        ids = sorted({pk for group in members.values() for pk in group})
        rows = {r["pk"]: r for r in base.filter(pk__in=ids).values(*FIELDS)}
        for group in members.values():
            yield [rows[pk] for pk in sorted(group) if pk in rows]
