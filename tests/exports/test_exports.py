"""Export jobs: pages, API, scoping, bad input, the doubled task, failure, expiry and the
access log."""

from __future__ import annotations

import datetime
import io
import logging

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from children.models import AccessLog
from core import clock as app_clock
from exports import jobs, selectors, services
from exports.models import ExportJob, ExportStatus
from tests.factories import BEIBEI, JINGGUAN, RONGXI, TIANSHENG, ZHIDA, make_child

TODAY = app_clock.today()
NEW = reverse("exports:statistics_new")
API = "/api/v1/exports/"


def ask(user, area=JINGGUAN, date=TODAY):
    return services.export_request(
        user=user, kind="statistics", area_code=area, params={"date": date}, today=TODAY
    )


def post_page(client, capture, area=JINGGUAN, date=None):
    with capture(execute=True):
        return client.post(NEW, {"area": area, "date": (date or TODAY).isoformat()})


def content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_supervisor_exports_their_town_and_downloads_it(
    people, login, django_capture_on_commit_callbacks
):
    make_child(people["director"], ZHIDA)
    client = login(people["supervisor"])
    page = client.get(NEW)
    assert page.status_code == 200
    assert [c[0] for c in page.context["form"].fields["area"].widget.choices] == [JINGGUAN]

    response = post_page(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    assert job.status == ExportStatus.DONE
    assert job.progress == 100
    assert job.sheet_count == 9
    assert job.expires_at == job.finished_at + datetime.timedelta(days=7)
    assert default_storage.exists(job.file.name)

    detail = client.get(reverse("exports:detail", args=[job.pk]))
    assert reverse("exports:download", args=[job.pk]).encode() in detail.content
    assert b"hx-get" not in detail.content  # finished: no more polling

    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(content(download)))
    assert len(book.sheetnames) == 9

    log = list(AccessLog.objects.filter(user=people["supervisor"]).order_by("pk"))
    assert [entry.action for entry in log] == ["export", "export"]
    assert log[0].scope.startswith(f"statistics built {JINGGUAN} {TODAY.isoformat()}")
    assert log[1].scope.startswith(f"statistics download {JINGGUAN}")
    assert log[1].ip == "127.0.0.1"

    listing = client.get(reverse("exports:list"))
    assert [j.pk for j in listing.context["jobs"]] == [job.pk]


@pytest.mark.django_db
def test_sheet_titles_follow_the_requesters_language(people, django_capture_on_commit_callbacks):
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        job = ask(people["civil"], BEIBEI)
    job.refresh_from_db()
    with job.file.open("rb") as handle:
        book = load_workbook(handle, read_only=True)
        names = book.sheetnames
    with translation.override("zh-hans"):
        expected = translation.gettext("Children by category")
    assert names[1] == expected


@pytest.mark.django_db
def test_the_page_shows_progress_polled_by_htmx_while_running(people, login):
    job = ask(people["supervisor"])  # on_commit not run: still queued
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress=40)
    client = login(people["supervisor"])
    panel = client.get(reverse("exports:progress", args=[job.pk]))
    assert panel.status_code == 200
    assert reverse("exports:progress", args=[job.pk]).encode() in panel.content
    assert b'hx-trigger="every 2s"' in panel.content
    assert b"40%" in panel.content
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


# --- Scoping -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("area", [TIANSHENG, RONGXI, BEIBEI])
def test_a_supervisor_cannot_export_a_neighbouring_town_or_the_district(
    people, login, area, django_capture_on_commit_callbacks
):
    client = login(people["supervisor"])
    assert post_page(client, django_capture_on_commit_callbacks, area=area).status_code == 404
    api = client.post(
        API, {"area": area, "date": TODAY.isoformat()}, content_type="application/json"
    )
    assert api.status_code == 404
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_district_staff_export_their_district_or_a_town_of_it(people, login):
    areas = [r.code for r in selectors.export_areas(people["civil"])]
    assert areas[0] == BEIBEI
    assert JINGGUAN in areas and TIANSHENG in areas
    assert all(code.startswith("500109") for code in areas)
    assert RONGXI not in areas


@pytest.mark.django_db
def test_only_the_requester_sees_and_downloads_a_job(
    people, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = ask(people["supervisor"])
    for name in ("civil", "other_supervisor", "director", "nobody"):
        client = login(people[name])
        for url in ("detail", "progress", "download"):
            assert client.get(reverse(f"exports:{url}", args=[job.pk])).status_code == 404, name
        assert client.get(f"{API}{job.pk}/").status_code == 404
        assert client.get(f"{API}{job.pk}/download/").status_code == 404
        listing = client.get(API).json()
        assert (listing["results"] if isinstance(listing, dict) else listing) == []


@pytest.mark.django_db
def test_a_job_disappears_when_the_requester_no_longer_serves_the_area(
    people, login, django_capture_on_commit_callbacks
):
    from org.models import Assignment

    with django_capture_on_commit_callbacks(execute=True):
        job = ask(people["supervisor"])
    Assignment.objects.filter(user=people["supervisor"]).update(end_date=TODAY)
    client = login(people["supervisor"])
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_directors_do_not_export_statistics(people, login):
    client = login(people["director"])
    assert client.get(NEW).status_code == 403
    api = client.post(
        API, {"area": ZHIDA, "date": TODAY.isoformat()}, content_type="application/json"
    )
    assert api.status_code == 403
    assert b"exports-link" not in client.get(reverse("home")).content
    assert b"exports-link" in login(people["supervisor"]).get(reverse("home")).content


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_future_date_is_refused_on_the_field(people, login, django_capture_on_commit_callbacks):
    client = login(people["supervisor"])
    with translation.override("en"):
        response = post_page(
            client, django_capture_on_commit_callbacks, date=TODAY + datetime.timedelta(days=1)
        )
    assert response.status_code == 400
    assert response.context["form"].errors["date"] == [_("The date cannot be in the future.")]
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_a_malformed_date_is_refused_on_the_field(people, login):
    client = login(people["supervisor"])
    response = client.post(NEW, {"area": JINGGUAN, "date": "2026-13-45"})
    assert response.status_code == 400
    assert "date" in response.context["form"].errors


@pytest.mark.django_db
def test_the_api_answers_bad_input_with_field_errors(people, login):
    client = login(people["civil"])
    cases = [
        ({"area": JINGGUAN, "date": "23/11/2026"}, "date"),
        ({"area": JINGGUAN, "date": (TODAY + datetime.timedelta(days=3)).isoformat()}, "date"),
        ({"area": "abc", "date": TODAY.isoformat()}, "area"),
        ({"area": ZHIDA, "date": TODAY.isoformat()}, "area"),  # a village, in scope
        ({"date": TODAY.isoformat()}, "area"),
        ({"area": JINGGUAN, "date": TODAY.isoformat(), "kind": "roster"}, "kind"),
    ]
    for body, field in cases:
        with translation.override("en"):
            response = client.post(API, body, content_type="application/json")
        assert response.status_code == 400, body
        assert field in response.json(), (body, response.json())
    assert not ExportJob.objects.exists()
    with translation.override("en"):
        village = client.post(
            API, {"area": ZHIDA, "date": TODAY.isoformat()}, content_type="application/json"
        )
    assert village.json()["area"] == [_("Statistics are exported for a district or a town.")]


# --- The task ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_doubled_task_builds_the_file_once(people):
    job = ask(people["supervisor"])  # queued, its on_commit task not run
    first = jobs.run_export(job.pk)
    second = jobs.run_export(job.pk)
    assert first is not None and first.status == ExportStatus.DONE
    assert second is None
    assert AccessLog.objects.filter(action="export", scope__contains="built").count() == 1
    assert len(default_storage.listdir(f"exports/{job.created_at:%Y/%m}")[1]) == 1


@pytest.mark.django_db
def test_progress_is_written_while_the_workbook_is_built(people, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL", 0.0)
    seen: list[int] = []
    real = jobs._progress_writer

    def spy(job_id, interval=0.0):
        write = real(job_id, interval)

        def report(percent, step):
            write(percent, step)
            seen.append(ExportJob.objects.get(pk=job_id).progress)

        return report

    monkeypatch.setattr(jobs, "_progress_writer", spy)
    job = ask(people["supervisor"])
    jobs.run_export(job.pk)
    assert seen == sorted(seen) and 0 < seen[0] < 99 and seen[-1] == 99
    assert len(seen) == 9  # eight sheets and the save


@pytest.mark.django_db
def test_a_failure_shows_a_message_and_logs_the_traceback(people, monkeypatch, caplog):
    def broken(job, out, progress):
        raise RuntimeError("database went away")

    monkeypatch.setitem(jobs.BUILDERS, "statistics", broken)
    job = ask(people["supervisor"])
    with caplog.at_level(logging.ERROR, logger="exports.jobs"), translation.override("en"):
        result = jobs.run_export(job.pk)
    assert result is not None and result.status == ExportStatus.FAILED
    assert result.message == _(
        "The export failed because of an error on the server. Try again; if it "
        "fails again, tell your system administrator."
    )
    assert "database went away" not in result.message
    assert "database went away" in caplog.text
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_a_job_for_an_area_no_longer_served_fails_with_a_reason(people):
    from org.models import Assignment

    job = ask(people["supervisor"])
    Assignment.objects.filter(user=people["supervisor"]).update(end_date=TODAY)
    with translation.override("en"):
        result = jobs.run_export(job.pk)
    assert result is not None and result.status == ExportStatus.FAILED
    assert result.message == _("You no longer serve this region, so it cannot be exported.")
    assert not result.file


# --- Expiry --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_daily_purge_deletes_expired_files(people, login, django_capture_on_commit_callbacks):
    from exports.tasks import purge_expired_exports

    with django_capture_on_commit_callbacks(execute=True):
        old = ask(people["supervisor"])
        fresh = ask(people["supervisor"])
    old.refresh_from_db()
    fresh.refresh_from_db()
    name = old.file.name
    ExportJob.objects.filter(pk=old.pk).update(
        expires_at=app_clock.now() - datetime.timedelta(seconds=1)
    )
    client = login(people["supervisor"])
    assert client.get(reverse("exports:download", args=[old.pk])).status_code == 404

    assert purge_expired_exports.delay().get() == 1
    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and not old.file
    assert not default_storage.exists(name)
    assert default_storage.exists(fresh.file.name)
    assert jobs.purge_expired(app_clock.now()) == 0
    assert (
        settings.CELERY_BEAT_SCHEDULE["exports-purge-expired"]["task"] == purge_expired_exports.name
    )


@pytest.mark.django_db
def test_jobs_that_lost_their_worker_are_marked_failed(people):
    job = ask(people["supervisor"])
    jobs.purge_expired(app_clock.now() + datetime.timedelta(hours=7))
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED


# --- API -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_queues_a_job_and_reports_its_status(
    people, login, django_capture_on_commit_callbacks
):
    client = login(people["civil"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            API, {"area": BEIBEI, "date": TODAY.isoformat()}, content_type="application/json"
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["download_url"] is None
    assert body["status_url"].endswith(f"{API}{body['id']}/")
    assert response["Location"] == body["status_url"]
    for callback in callbacks:
        callback()
    detail = client.get(f"{API}{body['id']}/").json()
    assert detail["status"] == "done" and detail["progress"] == 100
    assert detail["area"] == BEIBEI and detail["date"] == TODAY.isoformat()
    assert detail["download_url"].endswith(f"{API}{body['id']}/download/")
    download = client.get(f"{API}{body['id']}/download/")
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(content(download))).sheetnames[0]
    assert AccessLog.objects.filter(scope__startswith="statistics download").count() == 1
    listing = client.get(API).json()
    rows = listing["results"] if isinstance(listing, dict) else listing
    assert [row["id"] for row in rows] == [body["id"]]


@pytest.mark.django_db
def test_the_list_page_query_count_is_constant(people, login, django_assert_max_num_queries):
    client = login(people["supervisor"])
    for _round in range(3):
        ask(people["supervisor"])
    with django_assert_max_num_queries(12):
        small = client.get(reverse("exports:list"))
    for _round in range(10):
        ask(people["supervisor"])
    with django_assert_max_num_queries(12):
        large = client.get(reverse("exports:list"))
    assert len(small.context["jobs"]) == 3 and len(large.context["jobs"]) == 13
