"""Append-only tables, enforced by the database on PostgreSQL and SQLite.

UPDATE is always refused. DELETE is refused unless a `PurgePermit` row names the table, which
only `manage.py purge_logs` inserts, inside the one transaction that purges and records the
purge in the administrators' log (so the permit is never visible to anyone else, and never
survives the transaction). Migrations call `install`/`uninstall`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# The append-only tables, by the migration that protects them.
ACCESS_LOG = "children_accesslog"
REPORT_STEPS = "reports_reportstep"
ADMIN_LOG = "org_adminlogentry"
TABLES = (ACCESS_LOG, REPORT_STEPS, ADMIN_LOG)
PERMIT_TABLE = "org_purgepermit"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION carecase_append_only() RETURNS trigger AS $$
DECLARE
    logical text;
BEGIN
    -- A partitioned log's trigger is cloned onto each partition, where TG_TABLE_NAME is the
    -- partition's name: the trigger's argument names the log (org.log_partitions).
    logical := CASE WHEN TG_NARGS > 0 THEN TG_ARGV[0] ELSE TG_TABLE_NAME END;
    IF TG_OP = 'DELETE'
       AND EXISTS (SELECT 1 FROM {PERMIT_TABLE} WHERE table_name = logical) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = logical || ' is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def _pg_statements(table: str) -> list[str]:
    return [
        _PG_FUNCTION,
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};",
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION carecase_append_only('{table}');",
    ]


def _sqlite_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update;",
        f"DROP TRIGGER IF EXISTS {table}_no_delete;",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE} WHERE table_name = '{table}') "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
    ]


@contextlib.contextmanager
def purge_permit(cursor: Any, table: str) -> Iterator[None]:
    """DELETE let through on `table` for the statements run inside (call it in a transaction:
    the permit is inserted and removed in it, never visible outside)."""
    cursor.execute(f"INSERT INTO {PERMIT_TABLE} (table_name) VALUES (%s)", [table])
    yield
    cursor.execute(f"DELETE FROM {PERMIT_TABLE} WHERE table_name = %s", [table])


def install(schema_editor: Any, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = _pg_statements(table)
    elif vendor == "sqlite":
        statements = _sqlite_statements(table)
    else:  # pragma: no cover - CareCase runs on PostgreSQL and SQLite only
        raise NotImplementedError(vendor)
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(schema_editor: Any, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")
