"""The access log, the report steps and the administrators' log refuse UPDATE and DELETE in
the database itself (SQLite by default, PostgreSQL when DATABASE_URL is set); purging old rows
goes only through `purge_logs`, which records the purge."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from children.models import AccessLog
from core import clock as app_clock
from org import adminlog
from org.models import AdminLogEntry

TABLES = ["children_accesslog", "reports_reportstep", "org_adminlogentry"]


@pytest.fixture
def rows(people):
    from reports.models import ReportStep
    from tests.factories import make_child
    from tests.reports.conftest import file

    AccessLog.objects.create(user=people["civil"], action="view", scope="x")
    adminlog.record(by=people["sysadmin"], action="change", target_type="t", target_id="1")
    file(people["director"], make_child(people["director"]))
    assert ReportStep.objects.exists()


def _raw(sql):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.parametrize("table", TABLES)
def test_delete_is_refused_by_the_database(rows, table):
    with pytest.raises(DatabaseError):
        _raw(f"DELETE FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] >= 1


@pytest.mark.parametrize("table", TABLES)
def test_update_is_refused_by_the_database(rows, table):
    with pytest.raises(DatabaseError):
        _raw(f"UPDATE {table} SET id = id")


def test_models_refuse_too(rows):
    entry = AdminLogEntry.objects.first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        AdminLogEntry.objects.all().delete()


def _old_access_row(user, days):
    # auto_now_add sets `at` on create: an old row is inserted directly (INSERT is allowed).
    at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO children_accesslog (user_id, action, scope, row_count, at)"
            " VALUES (%s, 'view', 'old', 0, %s)",
            [user.pk, at],
        )


def test_purge_is_one_logged_privileged_path(rows, people):
    _old_access_row(people["civil"], 400)
    before = (app_clock.today() - datetime.timedelta(days=365)).isoformat()
    with pytest.raises(CommandError):
        call_command("purge_logs", "--log=access", f"--before={before}", "--by=civil")
    with pytest.raises(CommandError):
        call_command("purge_logs", "--log=access", f"--before={before}", "--by=sysadmin")
    call_command("purge_logs", "--log=access", f"--before={before}", "--by=secadmin")
    assert list(AccessLog.objects.values_list("scope", flat=True)) == ["x"]
    entry = AdminLogEntry.objects.get(action="purge")
    assert entry.by == people["secadmin"] and entry.after["rows"] == 1
    # The permit is gone with the transaction: deleting is refused again.
    with pytest.raises(DatabaseError):
        _raw("DELETE FROM children_accesslog")


def test_recent_rows_are_never_purged(rows):
    recent = (app_clock.today() - datetime.timedelta(days=10)).isoformat()
    with pytest.raises(CommandError):
        call_command("purge_logs", "--log=access", f"--before={recent}", "--by=secadmin")
    assert AccessLog.objects.count() == 1
