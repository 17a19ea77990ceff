"""UPDATE and DELETE refused by triggers on PostgreSQL and SQLite (DELETE only under a purge
permit: manage.py purge_logs). Replaces the earlier UPDATE-only SQLite trigger."""

from django.db import migrations

from org import append_only

TABLE = append_only.ACCESS_LOG
# The per-table function of the earlier migration; the trigger now runs the shared one.
OLD_PG_FUNCTION = "DROP FUNCTION IF EXISTS {t}_append_only();"


def forwards(apps, schema_editor):
    append_only.install(schema_editor, TABLE)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_PG_FUNCTION.format(t=TABLE))


def backwards(apps, schema_editor):
    append_only.uninstall(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("children", "0005_active_due_indexes"), ("org", "0002_tokens_admin_log")]

    operations = [migrations.RunPython(forwards, backwards)]
