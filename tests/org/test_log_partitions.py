"""The access log and the administrators' log as monthly partitions on PostgreSQL
(org.log_partitions): the migrations' in-place conversion (an empty table, a table with rows in
many months), the DEFAULT partition, the partitions created ahead, and the append-only
triggers on every partition. On SQLite the tables stay plain and the functions do nothing."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction

from children.models import AccessLog
from core import calendar
from core import clock as app_clock
from org import adminlog, append_only, log_partitions
from org.models import AdminLogEntry

TABLES = [append_only.ACCESS_LOG, append_only.ADMIN_LOG]

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)


def insert(table: str, at: datetime.datetime, label: str = "old") -> int:
    """A row of `table` at `at`, inserted directly (auto_now_add would date it now)."""
    with connection.cursor() as cursor:
        if table == append_only.ACCESS_LOG:
            cursor.execute(
                "INSERT INTO children_accesslog (action, scope, row_count, at)"
                " VALUES ('view', %s, 0, %s) RETURNING id",
                [label, at],
            )
        else:
            cursor.execute(
                "INSERT INTO org_adminlogentry (at, by_username, action, target_type,"
                " target_id, target, before, after) VALUES (%s, 'x', 'change', 't', '1', %s,"
                " '{}', '{}') RETURNING id",
                [at, label],
            )
        return int(cursor.fetchone()[0])


def where(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def months_back(n: int) -> datetime.datetime:
    """Noon of the 15th, `n` months before the frozen month."""
    day = calendar.add_months(app_clock.today().replace(day=15), -n)
    return log_partitions.month_start(day) + datetime.timedelta(days=14, hours=12)


def coming_months() -> list[datetime.date]:
    month = app_clock.today().replace(day=1)
    return [calendar.add_months(month, n) for n in range(log_partitions.MONTHS_AHEAD + 1)]


@postgresql_only
@pytest.mark.parametrize("table", TABLES)
def test_the_migrated_table_is_partitioned_by_month(table):
    with connection.cursor() as cursor:
        assert log_partitions.is_partitioned(cursor, table)
        months = log_partitions.month_partitions(cursor, table)
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{table}_default"])
        assert cursor.fetchone()[0]
    assert set(coming_months()) <= set(months)


@postgresql_only
def test_rows_land_in_their_month_and_id_still_finds_them(people):
    row = AccessLog.objects.create(user=people["civil"], action="view", scope="now")
    entry = adminlog.record(by=people["sysadmin"], action="change", target_type="t")
    month = app_clock.today()
    assert where(append_only.ACCESS_LOG, row.pk) == log_partitions.partition_name(
        append_only.ACCESS_LOG, month
    )
    assert where(append_only.ADMIN_LOG, entry.pk) == log_partitions.partition_name(
        append_only.ADMIN_LOG, month
    )
    assert AccessLog.objects.get(pk=row.pk).scope == "now"
    assert AdminLogEntry.objects.get(pk=entry.pk).target_type == "t"
    # Far in the future: no month holds it yet, the DEFAULT partition does.
    later = insert(append_only.ACCESS_LOG, months_back(-30))
    assert where(append_only.ACCESS_LOG, later) == "children_accesslog_default"


def _refused(sql: str, params: list[object]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@postgresql_only
@pytest.mark.parametrize("table", TABLES)
def test_every_partition_refuses_update_and_delete(table):
    ids = [insert(table, months_back(0)), insert(table, months_back(-30))]
    with connection.cursor() as cursor:
        partitions = [*log_partitions.month_partitions(cursor, table).values()]
    partitions.append(log_partitions.default_partition(table))
    # The trigger is on every partition (a row trigger fires for rows: the catalogue says so
    # of the empty ones), and refuses on the partitions holding the rows.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s",
            [f"{table}_no_change"],
        )
        assert {row[0] for row in cursor.fetchall()} >= {table, *partitions}
    for pk in ids:
        partition = where(table, pk)
        _refused(f"UPDATE {partition} SET id = id WHERE id = %s", [pk])
        _refused(f"DELETE FROM {partition} WHERE id = %s", [pk])
    for pk in ids:
        _refused(f"UPDATE {table} SET id = id WHERE id = %s", [pk])
        _refused(f"DELETE FROM {table} WHERE id = %s", [pk])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = ANY(%s)", [ids])
        assert cursor.fetchone()[0] == 2
        # Under a permit (inside a transaction), DELETE goes through on a partition too.
        with transaction.atomic(), append_only.purge_permit(cursor, table):
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [ids[0]])
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = ANY(%s)", [ids])
        assert cursor.fetchone()[0] == 1
    _refused(f"DELETE FROM {table} WHERE id = %s", [ids[1]])


def _convert_anew(table: str) -> None:
    # Deferred foreign-key checks of rows written in this transaction would stop ALTER TABLE.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        log_partitions.unpartition_table(editor, table)
    with connection.cursor() as cursor:
        assert not log_partitions.is_partitioned(cursor, table)


@postgresql_only
@pytest.mark.parametrize("table", TABLES)
def test_an_empty_table_converts(table):
    _convert_anew(table)
    with connection.schema_editor() as editor:
        log_partitions.partition_table(editor, table, app_clock.today())
    with connection.cursor() as cursor:
        assert log_partitions.is_partitioned(cursor, table)
        assert set(log_partitions.month_partitions(cursor, table)) == set(coming_months())
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] == 0
    pk = insert(table, months_back(0))
    assert where(table, pk) == log_partitions.partition_name(table, app_clock.today())


@postgresql_only
@pytest.mark.parametrize("table", TABLES)
def test_a_table_with_rows_in_many_months_converts_keeping_every_row(table):
    _convert_anew(table)
    rows = {insert(table, months_back(n), f"m{n}"): n for n in range(0, 26, 1)}
    rows[insert(table, months_back(3), "second of m3")] = 3
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, at FROM {table} ORDER BY id")
        before = cursor.fetchall()
    with connection.schema_editor() as editor:
        log_partitions.partition_table(editor, table, app_clock.today())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, at FROM {table} ORDER BY id")
        assert cursor.fetchall() == before
        months = log_partitions.month_partitions(cursor, table)
    assert len(months) == 26 + log_partitions.MONTHS_AHEAD
    for pk, n in rows.items():
        month = months_back(n).date()
        assert where(table, pk) == log_partitions.partition_name(table, month)
    # The id's sequence continues after the largest id kept.
    assert insert(table, months_back(0)) > max(rows)
    # The primary key holds the partition key; the id is still unique in practice.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = to_regclass(%s) AND contype = 'p'",
            [table],
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, at)"
    for pk in list(rows)[:3]:
        _refused(f"UPDATE {table} SET id = id WHERE id = %s", [pk])
        _refused(f"DELETE FROM {table} WHERE id = %s", [pk])


@postgresql_only
def test_the_months_ahead_are_created_once_and_stray_rows_move_in():
    table = append_only.ACCESS_LOG
    far = months_back(-12)
    stray = insert(table, far)
    assert where(table, stray) == "children_accesslog_default"
    assert log_partitions.partitions_ensure(app_clock.today()) == []
    created = log_partitions.partitions_ensure(far.date(), months_ahead=1)
    assert created == [
        log_partitions.partition_name(t, m)
        for t in TABLES
        for m in (far.date(), calendar.add_months(far.date(), 1))
    ]
    # The row that waited in the DEFAULT partition is now in its month's.
    assert where(table, stray) == log_partitions.partition_name(table, far.date())
    assert log_partitions.partitions_ensure(far.date(), months_ahead=1) == []
    _refused(f"DELETE FROM {table} WHERE id = %s", [stray])


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite keeps plain tables")
def test_sqlite_keeps_plain_tables(people):
    assert log_partitions.partitions_ensure(app_clock.today()) == []
    editor = SimpleNamespace(connection=connection)
    log_partitions.partition_table(editor, append_only.ACCESS_LOG, app_clock.today())
    row = AccessLog.objects.create(user=people["civil"], action="view")
    assert AccessLog.objects.get(pk=row.pk) == row
