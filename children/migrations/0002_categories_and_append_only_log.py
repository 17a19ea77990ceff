from django.db import migrations

CATEGORIES = [
    "rural_left_behind",
    "urban_left_behind",
    "poverty",
    "disability_illness",
    "guardianship",
    "orphan",
    "unsupported",
    "single_parent",
    "prisoner_child",
    "rehab_child",
    "other",
]

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION children_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'children_accesslog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER children_accesslog_no_change
    BEFORE UPDATE OR DELETE ON children_accesslog
    FOR EACH ROW EXECUTE FUNCTION children_accesslog_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS children_accesslog_no_change ON children_accesslog;
DROP FUNCTION IF EXISTS children_accesslog_append_only();
"""
# SQLite (development and tests): updates only, since test databases are flushed with DELETE.
SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER children_accesslog_no_update BEFORE UPDATE ON children_accesslog
    BEGIN SELECT RAISE(ABORT, 'children_accesslog is append-only'); END;""",
]


def seed_categories(apps, schema_editor):
    CategoryTag = apps.get_model("children", "CategoryTag")
    CategoryTag.objects.bulk_create(
        [CategoryTag(code=code) for code in CATEGORIES], ignore_conflicts=True
    )


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)
    elif vendor == "sqlite":
        for statement in SQLITE_APPEND_ONLY:
            schema_editor.execute(statement)


def drop_append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS children_accesslog_no_update")


class Migration(migrations.Migration):
    dependencies = [("children", "0001_initial")]

    operations = [
        migrations.RunPython(seed_categories, migrations.RunPython.noop),
        migrations.RunPython(append_only, drop_append_only),
    ]
