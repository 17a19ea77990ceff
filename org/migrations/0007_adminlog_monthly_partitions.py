"""The administrators' log: indexes for the audit administrator's searches (a date range with
an account or an object), then, on PostgreSQL, the table converted in place into monthly
partitions (org.log_partitions: every row kept, a DEFAULT partition, the current and coming
months created, the append-only trigger on every partition). SQLite: the indexes only."""

from django.db import migrations, models

from core import clock
from org import append_only, log_partitions

TABLE = append_only.ADMIN_LOG


def partition(apps, schema_editor):
    log_partitions.partition_table(schema_editor, TABLE, clock.today())


def unpartition(apps, schema_editor):
    log_partitions.unpartition_table(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0006_admin_action_recovery_renew"),
    ]

    operations = [
        migrations.AlterField(
            model_name="adminlogentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("change", "Changed"),
                    ("assign", "Role assigned"),
                    ("end_assignment", "Role ended"),
                    ("revoke_token", "Token revoked"),
                    ("unlock", "Sign-in unlocked"),
                    ("password", "Password reset"),
                    ("purge", "Log purged"),
                    ("superuser", "Break-glass superuser request"),
                    ("refused", "Refused"),
                    ("run_task", "Scheduled task run now"),
                    ("permit_2fa", "Two-factor enrolment permitted"),
                    ("enrol_2fa", "Two-factor enrolled"),
                    ("reset_2fa", "Two-factor reset"),
                    ("end_sessions", "Sessions ended"),
                    ("archive_log", "Log month archived"),
                    ("export_log", "Log search exported"),
                    ("download_archive", "Log archive downloaded"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.AddIndex(
            model_name="adminlogentry",
            index=models.Index(fields=["by_username", "at"], name="adminlog_account_at_idx"),
        ),
        migrations.AddIndex(
            model_name="adminlogentry",
            index=models.Index(
                fields=["target_type", "target_id", "at"], name="adminlog_object_at_idx"
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
