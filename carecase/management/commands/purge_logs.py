"""The one path that deletes rows from the append-only logs (retention): the access log and
the administrators' log (report steps are a case's history and are never purged).

    manage.py purge_logs --log access --before 2024-01-01 --by sec_admin [--dry-run]

In one transaction: a purge permit for the table (the triggers let DELETE through only while it
exists), the deletion of rows older than the date, the permit removed, and an entry in the
administrators' log naming who purged what. The account given with --by must be a security or
audit administrator, or a superuser.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from children.models import AccessLog
from core import clock, permissions
from org import adminlog, append_only
from org.models import AdminAction, AdminLogEntry, PurgePermit, User

LOGS = {
    "access": (AccessLog, append_only.ACCESS_LOG, "at"),
    "admin": (AdminLogEntry, append_only.ADMIN_LOG, "at"),
}


def purge(*, by: User, log: str, before: datetime.date, dry_run: bool = False) -> int:
    if not (by.is_superuser or permissions.is_security_admin(by) or permissions.is_audit_admin(by)):
        raise PermissionError("Only a security or audit administrator purges logs.")
    model, table, field = LOGS[log]
    today = clock.today()
    # The retention (LOG_RETENTION_DAYS, never below 180: carecase.checks): nothing younger
    # is ever purged. The nightly task archives before it purges (carecase.log_archive).
    if (today - before).days < settings.LOG_RETENTION_DAYS:
        raise ValueError(f"Rows younger than {settings.LOG_RETENTION_DAYS} days are kept.")
    cutoff = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
    with transaction.atomic():
        old = model._base_manager.filter(**{f"{field}__lt": cutoff})
        count = old.count()
        if dry_run or not count:
            return count
        PurgePermit.objects.create(table_name=table)
        # The queryset's own delete() refuses (append-only managers): raw SQL, under the permit.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE {field} < %s",  # noqa: S608 - constant names
                [cutoff],
            )
        PurgePermit.objects.filter(table_name=table).delete()
        adminlog.record(
            by=by,
            action=AdminAction.PURGE,
            target_type=table,
            label=f"{log} < {before.isoformat()}",
            after={"log": log, "before": before.isoformat(), "rows": count},
        )
    return count


class Command(BaseCommand):
    help = "Delete log rows older than a date (retention), recorded in the administrators' log."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--log", choices=sorted(LOGS), required=True)
        parser.add_argument("--before", type=datetime.date.fromisoformat, required=True)
        parser.add_argument("--by", required=True, help="username of the administrator")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        by = User.objects.filter(username=options["by"], is_active=True).first()
        if by is None:
            raise CommandError(f"No active account {options['by']!r}.")
        try:
            count = purge(
                by=by, log=options["log"], before=options["before"], dry_run=options["dry_run"]
            )
        except (PermissionError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"{options['log']}: {verb} {count} rows before {options['before']}")
