"""The access log: indexes for the audit administrator's searches (a date range with
an account, an action or a child), then, on PostgreSQL, the table converted in place into monthly
partitions (org.log_partitions: every row kept, a DEFAULT partition, the current and coming
months created, the append-only trigger on every partition). SQLite: the indexes only."""

from django.conf import settings
from django.db import migrations, models

from core import clock
from org import append_only, log_partitions

TABLE = append_only.ACCESS_LOG


def partition(apps, schema_editor):
    log_partitions.partition_table(schema_editor, TABLE, clock.today())


def unpartition(apps, schema_editor):
    log_partitions.unpartition_table(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0015_child_risk_beside_archive"),
        ("org", "0007_adminlog_monthly_partitions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accesslog",
            index=models.Index(fields=["user", "at"], name="accesslog_user_at_idx"),
        ),
        migrations.AddIndex(
            model_name="accesslog",
            index=models.Index(fields=["action", "at"], name="accesslog_action_at_idx"),
        ),
        migrations.AddIndex(
            model_name="accesslog",
            index=models.Index(fields=["child", "at"], name="accesslog_child_at_idx"),
        ),
        migrations.RunPython(partition, unpartition),
    ]
