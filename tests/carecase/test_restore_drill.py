"""The restore drill (issue 19; README, "Backup and restore"): scripts/backup on a database with
children (their ID numbers encrypted), visits, access-log and administrators'-log rows and an
uploaded file; scripts/restore into a new database; then in the restored database every
table's row count is the source's, a child's ID number decrypts with the configured keys, and
the append-only tables still refuse an UPDATE."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

from children import crypto
from children.models import AccessLog, Child
from core import clock as app_clock
from org import adminlog
from org.append_only import ACCESS_LOG, ADMIN_LOG
from org.models import AdminAction, AdminLogEntry
from tests.factories import ZHIDA, make_child, make_id
from visits import services as visit_services

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the drill backs up with pg_dump and restores with pg_restore: PostgreSQL only "
        "(CI runs the suite on PostgreSQL)",
    ),
]

psycopg2 = pytest.importorskip("psycopg2")


def conninfo(name: str) -> str:
    db = connection.settings_dict
    parts = {
        "dbname": name,
        "host": db["HOST"],
        "port": db["PORT"],
        "user": db["USER"],
        "password": db["PASSWORD"],
    }
    return " ".join(f"{key}='{value}'" for key, value in parts.items() if value)


def run(*args: str | Path, **env: str) -> None:
    subprocess.run(  # noqa: S603 - the project's own scripts
        [str(a) for a in args], check=True, timeout=120, env={**os.environ, **env}, text=True
    )


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_drill"
    admin = psycopg2.connect(conninfo("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def row_counts(dsn: str) -> dict[str, int]:
    with psycopg2.connect(dsn) as db, db.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(row[0] for row in cursor.fetchall())
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def test_backup_restores_into_a_fresh_database(people, login, settings, tmp_path, fresh_database):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    director = people["director"]
    numbers = [make_id(), make_id()]
    children = [make_child(director, ZHIDA, id_number=n) for n in numbers]
    visit_services.visit_record(
        by=director,
        child=children[0],
        values={"kind": "home_visit", "visit_date": app_clock.today(), "seen": "祖父"},
        today=app_clock.today(),
        client_uuid=uuid.uuid4(),
    )
    # The child's page logs the access; the system administrator's change is in the admin log.
    assert login(director).get(reverse("children:detail", args=[children[0].pk])).status_code == 200
    adminlog.record(by=people["sysadmin"], action=AdminAction.CHANGE, target=people["nobody"])
    assert AccessLog.objects.exists() and AdminLogEntry.objects.exists()
    scan = default_storage.save("attachments/scan.jpg", ContentFile(b"\xff\xd8 a scanned form"))

    source = connection.settings_dict["NAME"]
    backup = tmp_path / "backup"
    run(SCRIPTS / "backup", backup, DATABASE_URL=conninfo(source), MEDIA_ROOT=settings.MEDIA_ROOT)
    assert {p.name for p in backup.iterdir()} == {"carecase.dump", "media.tar.gz", "SHA256SUMS"}

    restored_media = tmp_path / "restored-media"
    run(SCRIPTS / "restore", backup, conninfo(fresh_database), MEDIA_ROOT=str(restored_media))

    expected = row_counts(conninfo(source))
    assert expected["children_child"] >= 2 and expected["visits_visit"] >= 1
    assert row_counts(conninfo(fresh_database)) == expected
    assert (restored_media / scan).read_bytes() == b"\xff\xd8 a scanned form"

    with psycopg2.connect(conninfo(fresh_database)) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT id_cipher FROM children_child WHERE id IN %s ORDER BY id",
            (tuple(c.pk for c in children),),
        )
        ciphers = [row[0] for row in cursor.fetchall()]
    assert [crypto.decrypt(c) for c in ciphers] == numbers
    assert ciphers == list(Child.objects.order_by("pk").values_list("id_cipher", flat=True))

    for table in (ACCESS_LOG, ADMIN_LOG):
        with (
            psycopg2.connect(conninfo(fresh_database)) as db,
            db.cursor() as cursor,
            pytest.raises(psycopg2.Error, match="append-only"),
        ):
            cursor.execute(f"UPDATE {table} SET id = id WHERE id = (SELECT min(id) FROM {table})")


def test_the_restore_refuses_a_database_that_has_tables(tmp_path, fresh_database):
    backup = tmp_path / "backup"
    run(SCRIPTS / "backup", backup, DATABASE_URL=conninfo(connection.settings_dict["NAME"]))
    run(SCRIPTS / "restore", backup, conninfo(fresh_database))
    with pytest.raises(subprocess.CalledProcessError):
        run(SCRIPTS / "restore", backup, conninfo(fresh_database))
