"""The two logs kept for 等保2.0 (the access log and the administrators' log) as monthly
partitions on PostgreSQL (issue 19, log retention).

Each log is a table `PARTITION BY RANGE (at)`: one partition a month (`<table>_pYYYYMM`, the
month in TIME_ZONE), and a DEFAULT partition (`<table>_default`) for a row no month holds
yet. The primary key is `(id, at)` (PostgreSQL's unique constraints hold the partition key);
`id` keeps its own sequence, so the models' `id` is still unique and used for lookups. The
append-only trigger is declared on the parent, so PostgreSQL clones it onto every partition,
present and future; its argument names the log, which the purge permit is given for
(org.append_only). A month older than the retention is archived, then its partition detached
and dropped (carecase.log_archive); `partitions_ensure` creates the coming months'
partitions ahead (the beat's task, and the migration that converts a table).

SQLite (development, the embedded run) keeps plain tables: every function here does nothing
on another vendor.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db import connection as default_connection
from django.utils import timezone

from core import calendar
from org import append_only

# Each log and its partition key.
LOGS = {append_only.ACCESS_LOG: "at", append_only.ADMIN_LOG: "at"}
# Months created ahead of the current one (the current month and the next two).
MONTHS_AHEAD = 2
_MONTH_SUFFIX = re.compile(r"_p(\d{4})(\d{2})$")


def month_start(month: datetime.date) -> datetime.datetime:
    """The first instant of `month` (any day of it) in TIME_ZONE."""
    first = month.replace(day=1)
    return timezone.make_aware(
        datetime.datetime.combine(first, datetime.time.min), timezone.get_default_timezone()
    )


def next_month(month: datetime.date) -> datetime.date:
    return calendar.add_months(month.replace(day=1), 1)


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_p{month:%Y%m}"


def default_partition(table: str) -> str:
    return f"{table}_default"


def is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
    return cursor.fetchone() is not None


def month_partitions(cursor: Any, table: str) -> dict[datetime.date, str]:
    """The month partitions of `table`, by their month's first day."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s)",
        [table],
    )
    months = {}
    for (name,) in cursor.fetchall():
        match = _MONTH_SUFFIX.search(name)
        if match and name == partition_name(table, datetime.date(int(match[1]), int(match[2]), 1)):
            months[datetime.date(int(match[1]), int(match[2]), 1)] = name
    return months


def _tz_name() -> str:
    return str(timezone.get_default_timezone())


def _months_with_rows(cursor: Any, table: str, key: str) -> list[datetime.date]:
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', {key} AT TIME ZONE %s)::date FROM {table}",  # noqa: S608
        [_tz_name()],
    )
    return sorted(row[0] for row in cursor.fetchall())


def partition_create(cursor: Any, table: str, month: datetime.date) -> bool:
    """The partition of `month`, unless it exists (False then). Rows of that month that went
    to the DEFAULT partition meanwhile are moved into it (under a purge permit: the move
    deletes them from the default partition), so the new bound never conflicts."""
    month = month.replace(day=1)
    name = partition_name(table, month)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    key = LOGS[table]
    lower, upper = month_start(month), month_start(next_month(month))
    default = default_partition(table)
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {key} >= %s AND {key} < %s)",  # noqa: S608
        [lower, upper],
    )
    bounds = "FOR VALUES FROM (%s) TO (%s)"
    if not cursor.fetchone()[0]:
        cursor.execute(f"CREATE TABLE {name} PARTITION OF {table} {bounds}", [lower, upper])
        return True
    cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"INSERT INTO {name} SELECT * FROM {default} WHERE {key} >= %s AND {key} < %s",  # noqa: S608
        [lower, upper],
    )
    with append_only.purge_permit(cursor, table):
        cursor.execute(
            f"DELETE FROM {default} WHERE {key} >= %s AND {key} < %s",  # noqa: S608
            [lower, upper],
        )
    cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} {bounds}", [lower, upper])
    return True


def partitions_ensure(
    today: datetime.date, *, months_ahead: int = MONTHS_AHEAD, connection: Any = None
) -> list[str]:
    """The partitions of the current month and `months_ahead` next ones, for both logs;
    returns the ones created (none on a rerun, nothing on another vendor or a plain table)."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return []
    created = []
    with connection.cursor() as cursor:
        for table in LOGS:
            if not is_partitioned(cursor, table):
                continue
            month = today.replace(day=1)
            for _ in range(months_ahead + 1):
                if partition_create(cursor, table, month):
                    created.append(partition_name(table, month))
                month = next_month(month)
    return created


def partition_drop(cursor: Any, table: str, month: datetime.date) -> bool:
    """Detach and drop the partition of `month` (False: there is none)."""
    name = month_partitions(cursor, table).get(month.replace(day=1))
    if name is None:
        return False
    cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {name}")
    cursor.execute(f"DROP TABLE {name}")
    return True


def _definitions(cursor: Any, table: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """The primary key's name, the other indexes' CREATE statements and the foreign keys of
    `table` (to be declared again on the table that replaces it)."""
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
        [table],
    )
    primary_key = cursor.fetchone()[0]
    cursor.execute(
        "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "WHERE x.indrelid = to_regclass(%s) AND NOT x.indisprimary ORDER BY x.indexrelid",
        [table],
    )
    indexes = [row[0].replace(" ON ONLY ", " ON ") for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
        [table],
    )
    return primary_key, indexes, list(cursor.fetchall())


def _swap(cursor: Any, table: str, create: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """Rename `table` aside, create its replacement by `create` (formatted with the names),
    copy every row into it and drop the old table; returns the definitions to declare again."""
    definitions = _definitions(cursor, table)
    aside = f"{table}_previous"
    cursor.execute(f"ALTER TABLE {table} RENAME TO {aside}")
    cursor.execute(create.format(table=table, aside=aside))
    # The column's identity or sequence stays with the old table; the new one gets its own.
    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT")
    return definitions


def _declare(cursor: Any, table: str, indexes: list[str], foreign: list[tuple[str, str]]) -> None:
    for statement in indexes:
        cursor.execute(statement)
    for name, definition in foreign:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def partition_table(schema_editor: Any, table: str, today: datetime.date) -> None:
    """Convert the plain `table` in place into monthly partitions: a partition for every
    month holding rows and for the current and coming months, the DEFAULT partition, every
    row kept with its id, the id's sequence continuing after the largest, the indexes and
    foreign keys declared again, the append-only trigger on the parent. Nothing on SQLite or
    when `table` is partitioned already."""
    if schema_editor.connection.vendor != "postgresql":
        return
    key = LOGS[table]
    with schema_editor.connection.cursor() as cursor:
        if is_partitioned(cursor, table):
            return
        months = _months_with_rows(cursor, table, key)
        primary_key, indexes, foreign = _swap(
            cursor,
            table,
            "CREATE TABLE {table} (LIKE {aside} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            f"PARTITION BY RANGE ({key})",
        )
        cursor.execute(f"CREATE TABLE {default_partition(table)} PARTITION OF {table} DEFAULT")
        month = today.replace(day=1)
        for _ in range(MONTHS_AHEAD + 1):
            months.append(month)
            month = next_month(month)
        for month in sorted(set(months)):
            partition_create(cursor, table, month)
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {table}_previous")  # noqa: S608
        cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608 - a constant name
        largest = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {table}_previous")
        sequence = f"{table}_id_seq"
        cursor.execute(f"CREATE SEQUENCE {sequence} AS bigint OWNED BY {table}.id")
        cursor.execute("SELECT setval(%s, %s, %s)", [sequence, largest or 1, largest is not None])
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{sequence}')")
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {primary_key} PRIMARY KEY (id, {key})")
        _declare(cursor, table, indexes, foreign)
    append_only.install(schema_editor, table)


def unpartition_table(schema_editor: Any, table: str) -> None:
    """The reverse of `partition_table`: one plain table again, every row kept, `id` the
    primary key with an identity continuing after the largest."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not is_partitioned(cursor, table):
            return
        primary_key, indexes, foreign = _swap(
            cursor,
            table,
            "CREATE TABLE {table} (LIKE {aside} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
        )
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {table}_previous")  # noqa: S608
        cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608 - a constant name
        largest = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {table}_previous CASCADE")
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)",
            [table, largest or 1, largest is not None],
        )
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {primary_key} PRIMARY KEY (id)")
        _declare(cursor, table, indexes, foreign)
    append_only.install(schema_editor, table)
