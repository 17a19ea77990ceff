"""Drop the two prefix indexes of 0012 that repeat Django's own: `name_pinyin` and
`name_initials` are `db_index=True` CharFields, for which Django already creates a
`varchar_pattern_ops` index (`…_like`) on PostgreSQL. Every index is written on each
archive update that cannot be HOT; two identical ones cost twice for nothing."""

from django.db import migrations

POSTGRES_UP = [
    "DROP INDEX IF EXISTS child_pinyin_prefix",
    "DROP INDEX IF EXISTS child_initials_prefix",
]
POSTGRES_DOWN = [
    "CREATE INDEX IF NOT EXISTS child_pinyin_prefix ON children_child"
    " (name_pinyin varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS child_initials_prefix ON children_child"
    " (name_initials varchar_pattern_ops)",
]


def run(statements: list[str]):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("children", "0013_households")]

    operations = [migrations.RunPython(run(POSTGRES_UP), run(POSTGRES_DOWN), elidable=False)]
