"""Staging and matching a list, set-based.

Rows are staged with bulk_create in chunks. Exact matching is one UPDATE joining the rows'
keyed ID hash to the archive's (`children_child.id_hash`, unique-indexed), restricted to the
list's district: a list never touches another district's children. Rows without a usable
ID (or whose ID matched no one: then only children registered without an ID) are matched by
name: one SELECT joins them to the district's children of the same date of birth (the
child_status_birth index), or without a date to the same full pinyin (name_pinyin's index),
and each pair is scored here:

    name identical                                   60
    same pinyin (homophones), or one character apart 45
    same village                                     +35; village unknown on the row +15

A score of MATCHING_AUTO_CONFIDENCE (default 90: same name, birth date and village) or more
is a match; from MATCHING_REVIEW_CONFIDENCE (default 45) it goes to the review list, where
district staff confirm or reject the candidate; a tie between two children is a review too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from core.regions import prefix_range
from matching.models import ListImport, ListRow, MatchMethod, Review
from matching.reading import Row

CHUNK = 5000


def stage(record: ListImport, rows: Iterable[Row]) -> int:
    """Insert the rows of `record` in chunks; returns how many."""
    batch: list[ListRow] = []
    count = 0
    for row in rows:
        batch.append(
            ListRow(
                list_import=record,
                number=row.number,
                id_hash=row.id_hash,
                id_masked=row.id_masked,
                name=row.name,
                name_pinyin=row.name_pinyin,
                birth_date=row.birth_date,
                village_id=row.village_id,
                address=row.address,
                status=row.status,
                detail=row.detail,
            )
        )
        if len(batch) >= CHUNK:
            ListRow.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        ListRow.objects.bulk_create(batch)
        count += len(batch)
    return count


def match_exact(record: ListImport) -> int:
    """One UPDATE: each row with an ID hash gets the district's child of that hash."""
    low, high = prefix_range(record.district.prefix)
    child = (
        "SELECT c.id FROM children_child c WHERE c.id_hash = matching_listrow.id_hash "
        "AND c.region_code BETWEEN %s AND %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE matching_listrow SET child_id = ({child}), method = %s, "  # noqa: S608
            "confidence = 100 WHERE list_import_id = %s AND id_hash IS NOT NULL "
            f"AND EXISTS ({child})",
            [low, high, MatchMethod.ID, record.pk, low, high],
        )
        return int(max(cursor.rowcount, 0))


def one_apart(a: str, b: str) -> bool:
    """The same length and one character different."""
    return len(a) == len(b) > 1 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def score(
    row_name: str, row_pinyin: str, row_village: int | None, name: str, pinyin: str, village: int
) -> int:
    if row_name == name:
        points = 60
    elif (row_pinyin and row_pinyin == pinyin) or one_apart(row_name, name):
        points = 45
    else:
        return 0
    if row_village is None:
        return points + 15
    return points + 35 if row_village == village else points


_CANDIDATES = (
    "SELECT r.id, r.name, r.name_pinyin, r.village_id, c.id, c.name, c.name_pinyin, c.village_id "
    "FROM matching_listrow r JOIN children_child c ON {join} "
    "AND c.region_code BETWEEN %s AND %s "
    # Only names that can score: the same, the same pinyin, or one character apart (then
    # the first character or all the others are the same).
    "AND (c.name = r.name OR c.name_pinyin = r.name_pinyin OR (LENGTH(c.name) = LENGTH(r.name) "
    "AND (SUBSTR(c.name, 1, 1) = SUBSTR(r.name, 1, 1) OR SUBSTR(c.name, 2) = SUBSTR(r.name, 2))))"
    "WHERE r.list_import_id = %s AND r.child_id IS NULL AND {where} "
    # A row whose ID matched no one may still be a child registered without one.
    "AND (r.id_hash IS NULL OR c.id_hash IS NULL)"
)


def match_names(record: ListImport) -> tuple[int, int]:
    """Rows without a usable ID matched by name; returns (matched, to review)."""
    low, high = prefix_range(record.district.prefix)
    best: dict[int, list[tuple[int, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        for join, where in (
            ("c.birth_date = r.birth_date", "r.birth_date IS NOT NULL"),
            ("c.name_pinyin = r.name_pinyin", "r.birth_date IS NULL AND r.name_pinyin <> ''"),
        ):
            cursor.execute(_CANDIDATES.format(join=join, where=where), [low, high, record.pk])
            while chunk := cursor.fetchmany(CHUNK):
                for row_id, rname, rpinyin, rvillage, child_id, cname, cpinyin, cvillage in chunk:
                    points = score(rname, rpinyin, rvillage, cname, cpinyin, cvillage)
                    if join.startswith("c.name_pinyin"):
                        points = min(points, 70)  # no date of birth: never sure
                    if points >= settings.MATCHING_REVIEW_CONFIDENCE:
                        best[row_id].append((points, child_id))
    auto: list[ListRow] = []
    review: list[ListRow] = []
    for row_id, found in best.items():
        found.sort(reverse=True)
        top, child_id = found[0]
        tie = len(found) > 1 and found[1][0] == top
        if top >= settings.MATCHING_AUTO_CONFIDENCE and not tie:
            auto.append(
                ListRow(pk=row_id, child_id=child_id, method=MatchMethod.NAME, confidence=top)
            )
        else:
            review.append(
                ListRow(pk=row_id, candidate_id=child_id, confidence=top, review=Review.PENDING)
            )
    ListRow.objects.bulk_update(auto, ["child_id", "method", "confidence"], batch_size=CHUNK)
    ListRow.objects.bulk_update(review, ["candidate_id", "confidence", "review"], batch_size=CHUNK)
    return len(auto), len(review)
