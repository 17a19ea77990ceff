"""Name search that scales (issue 18): indexes that serve the list's and the picker's name
search on PostgreSQL. SQLite keeps its plain scans (the embedded demo is small).

- `carecase_name_grams(name)`: the name's characters and pairs of characters (徐月颖 →
  徐, 月, 颖, 徐月, 月颖), an IMMUTABLE function with a GIN index over it: a query of one
  or two characters (a surname, a given name) is one index lookup, `@> ARRAY[q]`.
- `gin_trgm_ops` on the name: three characters and more (pg_trgm hashes CJK trigrams), the
  planner's choice for `LIKE '%q%'`.
- `varchar_pattern_ops` on the pinyin and the initials: prefix `LIKE 'q%'` uses a b-tree only
  with a pattern operator class when the collation is not C.

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
"""

from django.db import migrations

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION carecase_name_grams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(name, i, n)), '{}')
        FROM generate_series(1, char_length(name)) AS i, generate_series(1, 2) AS n
        WHERE i + n - 1 <= char_length(name)
    $$
    """,
    "CREATE INDEX IF NOT EXISTS child_name_grams ON children_child"
    " USING gin (carecase_name_grams(name))",
    "CREATE INDEX IF NOT EXISTS child_name_trgm ON children_child USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS child_pinyin_prefix ON children_child"
    " (name_pinyin varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS child_initials_prefix ON children_child"
    " (name_initials varchar_pattern_ops)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS child_initials_prefix",
    "DROP INDEX IF EXISTS child_pinyin_prefix",
    "DROP INDEX IF EXISTS child_name_trgm",
    "DROP INDEX IF EXISTS child_name_grams",
    "DROP FUNCTION IF EXISTS carecase_name_grams(text)",
]


def run(statements: list[str]):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("children", "0011_merge_risk_and_duplicates")]

    operations = [migrations.RunPython(run(POSTGRES_UP), run(POSTGRES_DOWN), elidable=False)]
