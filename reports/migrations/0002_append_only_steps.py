from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION reports_reportstep_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'reports_reportstep is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_reportstep_no_change
    BEFORE UPDATE OR DELETE ON reports_reportstep
    FOR EACH ROW EXECUTE FUNCTION reports_reportstep_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS reports_reportstep_no_change ON reports_reportstep;
DROP FUNCTION IF EXISTS reports_reportstep_append_only();
"""
# SQLite (development and tests): updates only, since test databases are flushed with DELETE.
SQLITE_APPEND_ONLY = """CREATE TRIGGER reports_reportstep_no_update
    BEFORE UPDATE ON reports_reportstep
    BEGIN SELECT RAISE(ABORT, 'reports_reportstep is append-only'); END;"""


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_APPEND_ONLY)


def drop_append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS reports_reportstep_no_update")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(append_only, drop_append_only)]
