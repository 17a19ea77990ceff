"""Staging and matching a list, set-based.

Rows are staged with COPY on PostgreSQL (executemany elsewhere), in chunks. Exact matching is
one UPDATE joining the rows' keyed ID hash to the archive's (`children_child.id_hash`,
unique-indexed), restricted to the list's district: a list never touches another district's
children. Rows without a usable ID (or whose ID matched no one: then only children registered
without an ID) are matched by name: one SELECT joins them to the district's children of the
same date of birth, or without a date to the same full pinyin (name_pinyin's index), keeping
only names that can score, and each pair is scored here:

    name identical                                   60
    same pinyin (homophones), or one character apart 45
    same village                                     +35; village unknown on the row +15

A score of MATCHING_AUTO_CONFIDENCE (default 90: same name, birth date and village) or more
is a match; from MATCHING_REVIEW_CONFIDENCE (default 45) it goes to the review list, where
district staff confirm or reject the candidate; a tie between two children is a review too.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection

from core.regions import prefix_range
from matching.models import ListImport, MatchMethod, Review
from matching.reading import Row

CHUNK = 5000


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain rows: COPY on PostgreSQL, executemany elsewhere, CHUNK rows at a time.
    `table` and `columns` are the app's own names, never input."""
    count = 0
    chunk: list[Sequence[Any]] = []
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        raw = getattr(cursor, "cursor", None)
        copy = connection.vendor == "postgresql" and hasattr(raw, "copy_expert")

        def flush() -> None:
            if copy:
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerows([_copy_value(v) for v in row] for row in chunk)
                buffer.seek(0)
                raw.copy_expert(  # type: ignore[union-attr]
                    f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
                )
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                    [list(row) for row in chunk],
                )

        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                flush()
                count += len(chunk)
                chunk = []
        if chunk:
            flush()
            count += len(chunk)
    return count


ROW_COLUMNS = (
    "list_import_id",
    "number",
    "id_hash",
    "id_masked",
    "name",
    "name_pinyin",
    "birth_date",
    "village_id",
    "address",
    "status",
    "detail",
    "child_id",
    "candidate_id",
    "method",
    "confidence",
    "review",
    "reviewed_by_id",
    "reported_on",
)


def analyze(*tables: str) -> None:
    """Fresh planner statistics for tables just filled in this transaction (PostgreSQL):
    without them the planner takes a staged list of 200,000 rows for a few rows and probes
    the children row by row (minutes at 1,000,000 children) instead of hashing them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _row_values(record: ListImport, rows: Iterable[Row]) -> Iterable[tuple[Any, ...]]:
    """The rows in ROW_COLUMNS' order, unmatched."""
    for r in rows:
        yield (
            record.pk,
            r.number,
            r.id_hash,
            r.id_masked,
            r.name,
            r.name_pinyin,
            r.birth_date,
            r.village_id,
            r.address,
            r.status,
            r.detail,
            None,
            None,
            "",
            0,
            "",
            None,
            r.reported_on,
        )


def stage(record: ListImport, rows: Iterable[Row]) -> int:
    """Insert the rows of `record` (COPY on PostgreSQL), then analyze them; returns how many."""
    count = insert_rows("matching_listrow", ROW_COLUMNS, _row_values(record, rows))
    analyze("matching_listrow")
    return count


_MATCHED = {"child_id": "c.id", "method": "CASE WHEN c.id IS NULL THEN '' ELSE %s END",
            "confidence": "CASE WHEN c.id IS NULL THEN 0 ELSE 100 END"}  # fmt: skip


def stage_and_match_exact(record: ListImport, rows: Iterable[Row]) -> int:
    """`stage`, then `match_exact`; returns how many rows matched by ID. On PostgreSQL the
    rows are copied into a temporary table (no WAL, no index) and inserted once with their ID
    match joined in, instead of inserted and then rewritten (an UPDATE of 140,000 rows and
    their 8 indexes took about 10 s at 1,000,000 children)."""
    if connection.vendor != "postgresql":
        stage(record, rows)
        return match_exact(record)
    low, high = prefix_range(record.district.prefix)
    names = ", ".join(ROW_COLUMNS)
    picked = ", ".join(_MATCHED.get(column, f"s.{column}") for column in ROW_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS matching_stage")
        cursor.execute(
            f"CREATE TEMPORARY TABLE matching_stage ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {names} FROM matching_listrow WITH NO DATA"
        )
        insert_rows("matching_stage", ROW_COLUMNS, _row_values(record, rows))
        cursor.execute("ANALYZE matching_stage")
        cursor.execute(
            f"WITH staged AS (INSERT INTO matching_listrow ({names}) "  # noqa: S608
            f"SELECT {picked} FROM matching_stage s LEFT JOIN children_child c "
            "ON s.id_hash IS NOT NULL AND c.id_hash = s.id_hash "
            "AND c.region_code BETWEEN %s AND %s ORDER BY s.number RETURNING child_id) "
            "SELECT count(child_id) FROM staged",
            [MatchMethod.ID, low, high],
        )
        matched = int(cursor.fetchone()[0])
        cursor.execute("DROP TABLE matching_stage")
    analyze("matching_listrow")
    return matched


def _update_from_values(sets: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """UPDATE matching_listrow from (id, …) value rows, 1000 at a time (PostgreSQL and
    SQLite 3.33+ have UPDATE … FROM)."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            part = rows[start : start + 1000]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(part))
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {marks}) "  # noqa: S608
                f"UPDATE matching_listrow SET {sets} FROM v WHERE matching_listrow.id = v.id",
                [value for row in part for value in row],
            )


def match_exact(record: ListImport) -> int:
    """One UPDATE … FROM: each row with an ID hash gets the district's child of that hash (a
    hash join; hashes are unique among children)."""
    low, high = prefix_range(record.district.prefix)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE matching_listrow SET child_id = c.id, method = %s, confidence = 100 "
            "FROM children_child c WHERE matching_listrow.list_import_id = %s "
            "AND matching_listrow.id_hash IS NOT NULL AND c.id_hash = matching_listrow.id_hash "
            "AND c.region_code BETWEEN %s AND %s",
            [MatchMethod.ID, record.pk, low, high],
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


# The pairs (row, child) whose names can score: the same name, the same pinyin, or one
# character apart (the same length, and then the first character or all the others the
# same). Each is its own equality, so the database hashes the rows once per kind instead of
# testing every pair of the same birth date against all of them (measured at 1,000,000
# children, 60,000 rows: 53 s as one join with OR, a few seconds as a UNION of equi-joins).
# The same name needs no key of its own: it has the same length and first character. (As its
# own key the planner probed the name's trigram index once per row: 10 s of 12.5.)
_NAME_KEYS = (
    "c.name_pinyin = r.name_pinyin AND r.name_pinyin <> ''",
    "LENGTH(c.name) = LENGTH(r.name) AND SUBSTR(c.name, 1, 1) = SUBSTR(r.name, 1, 1)",
    "LENGTH(c.name) = LENGTH(r.name) AND SUBSTR(c.name, 2) = SUBSTR(r.name, 2)",
)
_PAIRS = (
    "SELECT r.id AS rid, c.id AS cid FROM matching_listrow r JOIN children_child c "
    "ON {join} AND {key} AND c.region_code BETWEEN %s AND %s "
    "WHERE r.list_import_id = %s AND r.child_id IS NULL AND {where} "
    # A row whose ID matched no one may still be a child registered without one.
    "AND (r.id_hash IS NULL OR c.id_hash IS NULL)"
)
_CANDIDATES = (
    "SELECT r.id, r.name, r.name_pinyin, r.village_id, c.id, c.name, c.name_pinyin, c.village_id "
    "FROM ({pairs}) p JOIN matching_listrow r ON r.id = p.rid JOIN children_child c ON c.id = p.cid"
)


def _candidates(join: str, where: str) -> str:
    pairs = " UNION ".join(_PAIRS.format(join=join, key=key, where=where) for key in _NAME_KEYS)
    return _CANDIDATES.format(pairs=pairs)


def match_names(record: ListImport) -> tuple[int, int]:
    """Rows without a usable ID matched by name; returns (matched, to review)."""
    low, high = prefix_range(record.district.prefix)
    best: dict[int, list[tuple[int, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        for join, where in (
            ("c.birth_date = r.birth_date", "r.birth_date IS NOT NULL"),
            ("c.name_pinyin = r.name_pinyin", "r.birth_date IS NULL AND r.name_pinyin <> ''"),
        ):
            params: list[Any] = [low, high, record.pk] * len(_NAME_KEYS)
            cursor.execute(_candidates(join, where), params)
            while chunk := cursor.fetchmany(CHUNK):
                for row_id, rname, rpinyin, rvillage, child_id, cname, cpinyin, cvillage in chunk:
                    points = score(rname, rpinyin, rvillage, cname, cpinyin, cvillage)
                    if join.startswith("c.name_pinyin"):
                        points = min(points, 70)  # no date of birth: never sure
                    if points >= settings.MATCHING_REVIEW_CONFIDENCE:
                        best[row_id].append((points, child_id))
    auto: list[tuple[Any, ...]] = []
    review: list[tuple[Any, ...]] = []
    for row_id, found in best.items():
        found.sort(reverse=True)
        top, child_id = found[0]
        tie = len(found) > 1 and found[1][0] == top
        if top >= settings.MATCHING_AUTO_CONFIDENCE and not tie:
            auto.append((row_id, child_id, top))
        else:
            review.append((row_id, child_id, top))
    # The CTE's columns are untyped on PostgreSQL: cast them.
    _update_from_values(
        f"child_id = CAST(v.c AS integer), method = '{MatchMethod.NAME}', "
        "confidence = CAST(v.p AS integer)",
        ("id", "c", "p"),
        auto,
    )
    _update_from_values(
        f"candidate_id = CAST(v.c AS integer), review = '{Review.PENDING}', "
        "confidence = CAST(v.p AS integer)",
        ("id", "c", "p"),
        review,
    )
    return len(auto), len(review)
