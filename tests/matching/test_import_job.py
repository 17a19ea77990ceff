"""A long department list is imported by a worker on the "imports" queue (issue 19): the
confirmation returns at once with the list marked importing, its page follows the import
(htmx) and reloads when it is done; confirming twice queues one import; a list whose file
is gone by the time the worker takes it, or whose confirmer no longer exists, ends failed
with a message, nothing imported; a short list is still imported within the request."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext

from core import clock as app_clock
from matching import importing, services
from matching import tasks as matching_tasks
from matching.models import Finding, ListImport, ListImportStatus
from matching.sources import SourceKind
from org.models import User
from tests.matching.conftest import csv_file

pytestmark = pytest.mark.django_db

HEAD = ["姓名", "身份证号码", "出生日期", "村（社区）", "类型"]


def checked(client, ids) -> ListImport:
    upload = csv_file(
        [
            HEAD,
            ["王小红", ids["pupil"], "", "志达社区", "辍学"],
            ["新同学", "", "2015-01-02", "兴城社区", "辍学"],
        ]
    )
    response = client.post(
        reverse("matching:lists"), {"source": SourceKind.EDUCATION_DROPOUT, "file": upload}
    )
    assert response.status_code == 302
    record = ListImport.objects.get()
    assert record.row_count == 2 and not record.errors
    return record


@pytest.fixture
def queued_list(people, archive, login, settings, django_capture_on_commit_callbacks):
    """A checked two-row list confirmed by civil affairs with the inline limit at one row:
    (her client, the list marked importing, the queued import not yet run)."""
    settings.MATCHING_INLINE_ROWS = 1
    _kids, ids = archive
    client = login(people["civil"])
    record = checked(client, ids)
    with django_capture_on_commit_callbacks() as queued:
        services.list_import_request(by=people["civil"], pk=record.pk)
    assert len(queued) == 1
    record.refresh_from_db()
    return client, record, queued[0]


def test_a_long_list_is_queued_and_its_page_follows_the_import(
    people, archive, login, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_INLINE_ROWS = 1
    _kids, ids = archive
    client = login(people["civil"])
    record = checked(client, ids)
    detail = reverse("matching:list_detail", args=[record.pk])
    progress = reverse("matching:list_progress", args=[record.pk])

    with django_capture_on_commit_callbacks() as queued:
        assert client.post(detail).status_code == 302
        assert client.post(detail).status_code == 302  # a second click: still one import
    assert len(queued) == 1
    record.refresh_from_db()
    assert record.status == ListImportStatus.IMPORTING
    assert not Finding.objects.exists()
    page = client.get(detail).content.decode()
    assert 'data-testid="importing"' in page and 'data-testid="commit"' not in page
    assert f'hx-get="{progress}"' in page
    note = client.get(progress, HTTP_HX_REQUEST="true")
    assert note.status_code == 200 and "HX-Refresh" not in note.headers
    assert "2" in note.content.decode()

    queued[0]()  # the worker takes the message (tasks run eagerly in the suite)
    record.refresh_from_db()
    assert record.status == ListImportStatus.COMMITTED
    assert Finding.objects.filter(list_import=record).exists()
    done = client.get(progress, HTTP_HX_REQUEST="true")
    assert done.headers["HX-Refresh"] == "true"
    assert 'data-testid="importing"' not in client.get(detail).content.decode()


def test_another_districts_staff_cannot_follow_the_import(people, login, queued_list):
    _client, record, _run = queued_list
    other = login(people["other_civil"])
    assert other.get(reverse("matching:list_progress", args=[record.pk])).status_code == 404
    with pytest.raises(ListImport.DoesNotExist):
        services.list_import_request(by=people["other_civil"], pk=record.pk)


def test_a_file_gone_before_the_worker_takes_it_fails_with_a_message(queued_list):
    client, record, run = queued_list
    record.file.storage.delete(record.file.name)
    run()
    record.refresh_from_db()
    assert record.status == ListImportStatus.FAILED
    assert not Finding.objects.exists()
    page = client.get(reverse("matching:list_detail", args=[record.pk])).content.decode()
    assert gettext("The uploaded file can no longer be read.") in page


def test_an_unforeseen_failure_leaves_the_list_failed_not_importing(queued_list):
    _client, record, _run = queued_list
    missing = User.objects.order_by("-pk").first().pk + 1
    with pytest.raises(User.DoesNotExist):
        importing.list_import_queued(pk=record.pk, by_id=missing)
    record.refresh_from_db()
    assert record.status == ListImportStatus.FAILED
    assert record.errors[0]["message"] == gettext(importing.IMPORT_FAILED)


def test_a_short_list_is_imported_within_the_request(people, archive, login, settings):
    settings.MATCHING_INLINE_ROWS = 2
    _kids, ids = archive
    client = login(people["civil"])
    record = checked(client, ids)
    client.post(reverse("matching:list_detail", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == ListImportStatus.COMMITTED


@pytest.mark.celery_redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_serving_only_imports_imports_the_list(
    people, archive, login, settings, redis_celery
):
    from celery.contrib.testing.worker import start_worker

    settings.MATCHING_INLINE_ROWS = 1
    _kids, ids = archive
    client = login(people["civil"])
    record = checked(client, ids)
    with start_worker(
        redis_celery, pool="solo", queues=["imports"], perform_ping_check=False, shutdown_timeout=10
    ):
        client.post(reverse("matching:list_detail", args=[record.pk]))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            record.refresh_from_db()
            if record.status != ListImportStatus.IMPORTING:
                break
            time.sleep(0.2)
    assert record.status == ListImportStatus.COMMITTED
    assert Finding.objects.filter(list_import=record).exists()


# --- Lists left importing by a worker that died (matching.importing.lists_stuck_fail) -------


def past_the_limit(record: ListImport, minutes: int = 1) -> datetime.datetime:
    return record.importing_since + datetime.timedelta(
        minutes=django_settings.MATCHING_STUCK_MINUTES + minutes
    )


def test_a_list_left_importing_by_a_dead_worker_is_failed_with_a_message(
    people, archive, queued_list
):
    client, record, run = queued_list
    assert record.importing_since is not None and record.importing_since <= app_clock.now()
    # Within the limit: a worker may still be on it.
    assert importing.lists_stuck_fail(now=past_the_limit(record, minutes=-2)) == 0
    assert importing.lists_stuck_fail(now=past_the_limit(record)) == 1
    record.refresh_from_db()
    assert record.status == ListImportStatus.FAILED
    assert record.errors == [{"row": 0, "column": "", "message": gettext(importing.IMPORT_STUCK)}]
    page = client.get(reverse("matching:list_detail", args=[record.pk])).content.decode()
    assert "导入已中断" in page and 'data-testid="importing"' not in page
    # Idempotent: a second sweep finds nothing.
    assert importing.lists_stuck_fail(now=past_the_limit(record)) == 0
    # The dead worker's message, redelivered after the sweep: nothing is imported.
    run()
    record.refresh_from_db()
    assert record.status == ListImportStatus.FAILED
    assert not Finding.objects.exists()
    # The uploader uploads it again: a new check, imported once.
    _kids, ids = archive
    before = ListImport.objects.count()
    again = client.post(
        reverse("matching:lists"),
        {
            "source": SourceKind.EDUCATION_DROPOUT,
            "file": csv_file(
                [
                    HEAD,
                    ["王小红", ids["pupil"], "", "志达社区", "辍学"],
                    ["新同学", "", "2015-01-02", "兴城社区", "辍学"],
                ]
            ),
        },
    )
    assert again.status_code == 302
    assert ListImport.objects.count() == before + 1
    fresh = ListImport.objects.exclude(pk=record.pk).get()
    imported, done = importing.list_import(by=people["civil"], pk=fresh.pk)
    assert done and imported.status == ListImportStatus.COMMITTED
    assert Finding.objects.filter(list_import=fresh).exists()


def test_the_sweep_leaves_other_districts_and_other_states_alone(people, queued_list):
    _client, record, _run = queued_list
    later = past_the_limit(record)
    ListImport.objects.filter(pk=record.pk).update(status=ListImportStatus.COMMITTED)
    assert importing.lists_stuck_fail(now=later) == 0
    ListImport.objects.filter(pk=record.pk).update(status=ListImportStatus.PREVIEWED)
    assert importing.lists_stuck_fail(now=later) == 0
    # An importing list queued before importing_since was kept: judged by its upload.
    ListImport.objects.filter(pk=record.pk).update(
        status=ListImportStatus.IMPORTING, importing_since=None
    )
    assert importing.lists_stuck_fail(now=record.created_at) == 0
    assert importing.lists_stuck_fail(now=later) == 1


def test_the_sweep_is_a_scheduled_task_on_the_sweeps_queue(people, login, queued_list):
    from carecase.celery import app

    name = "matching.tasks.fail_stuck_imports"
    assert name in [entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()]
    assert app.amqp.router.route({}, name)["queue"].name == "sweeps"
    page = login(people["sysadmin"]).get(reverse("tasks")).content.decode()
    assert "导入中断的部门名单" in page
    assert f"每 {django_settings.MATCHING_STUCK_CHECK_MINUTES} 分钟" in page
    assert matching_tasks.fail_stuck_imports.apply().get() == 0  # not stuck yet


@pytest.mark.django_db(transaction=True)
def test_a_list_a_live_worker_is_importing_is_not_failed(people, archive, login):
    """A live import holds the list's row lock (list_import's SELECT ... FOR UPDATE) for the
    whole import: the sweep skips it however long it takes. PostgreSQL: SQLite has no row
    locks (and one writer at a time)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    _kids, ids = archive
    record = checked(login(people["civil"]), ids)
    ListImport.objects.filter(pk=record.pk).update(
        status=ListImportStatus.IMPORTING, importing_since=app_clock.now()
    )
    record.refresh_from_db()
    holding, release = threading.Event(), threading.Event()

    def worker() -> None:
        try:
            with transaction.atomic():
                ListImport.objects.select_for_update().get(pk=record.pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert holding.wait(30)
        assert importing.lists_stuck_fail(now=past_the_limit(record)) == 0
    finally:
        release.set()
        thread.join(30)
    record.refresh_from_db()
    assert record.status == ListImportStatus.IMPORTING
    # The worker gone, its lock with it: the next sweep fails the list.
    assert importing.lists_stuck_fail(now=past_the_limit(record)) == 1
