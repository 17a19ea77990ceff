"""A roster export above ROSTER_STREAM_MAX rows is an export job: a page says how many rows
and queues nothing on GET; the POST queues the job, which a worker builds in the requester's
scope with the list's filter; the file is downloaded by the requester only; XLSX continues
in further sheets past the row limit; every step is access-logged."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from children import roster_columns
from children.models import AccessAction, AccessLog
from exports import jobs
from exports.models import ExportJob, ExportKind, ExportStatus
from org.models import Assignment
from tests.factories import JINGGUAN, XINGCHENG, ZHIDA, make_child, make_id

pytestmark = pytest.mark.django_db

NAME = roster_columns.EXPORT_HEADERS.index(roster_columns.COLUMNS_BY_KEY["name"].header)
ID = roster_columns.EXPORT_HEADERS.index(roster_columns.COLUMNS_BY_KEY["id_number"].header)


@pytest.fixture
def roster(people, settings):
    settings.ROSTER_STREAM_MAX = 1
    return [
        make_child(people["director"], id_number=make_id(), name="张小明"),
        make_child(people["director"], id_number=make_id(), name="王小刚"),
        make_child(people["civil"], XINGCHENG, id_number=make_id(), name="李小红"),
    ]


def ask(client, fmt="csv", query=""):
    url = reverse(f"children:export_{fmt}") + query
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="roster-job"' in page.content.decode()
    assert not ExportJob.objects.exists()  # a GET queues nothing
    response = client.post(url)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    return job


def built(job) -> ExportJob:
    done = jobs.run_export(job.pk)
    assert done is not None and done.status == ExportStatus.DONE, done and done.message
    return done


def test_a_district_roster_becomes_a_job_with_the_lists_rows(people, login, roster):
    client = login(people["civil"])
    job = built(ask(client, "csv"))
    assert job.kind == ExportKind.ROSTER and job.area.code.startswith("500109")
    assert job.row_count == 3
    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    assert job.download_name().endswith(".csv")
    body = b"".join(download.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == list(roster_columns.EXPORT_HEADERS)
    assert sorted(r[NAME] for r in rows[1:]) == ["张小明", "李小红", "王小刚"]
    assert all("*" in r[ID] for r in rows[1:])  # masked without the export permission
    scopes = list(
        AccessLog.objects.filter(user=people["civil"], action=AccessAction.EXPORT).values_list(
            "scope", flat=True
        )
    )
    assert any(s.startswith("csv ") and f"job {job.pk}" in s for s in scopes)  # asked
    assert any(s.startswith("roster built") for s in scopes)  # built
    assert any(s.startswith("roster download") for s in scopes)  # downloaded


def test_the_job_keeps_the_lists_filter_and_the_requesters_scope(people, login, roster):
    job = built(ask(login(people["civil"]), "csv", f"?region={ZHIDA}&status=active"))
    assert job.row_count == 2 and job.area.code == ZHIDA
    # A town's supervisor exports her town only; the neighbour village's director is not hers.
    ExportJob.objects.all().delete()
    town = built(ask(login(people["supervisor"]), "csv"))
    assert town.area.code == JINGGUAN and town.row_count == 3


def test_only_the_requester_downloads_and_only_while_serving(people, login, roster):
    job = built(ask(login(people["civil"]), "xlsx"))
    url = reverse("exports:download", args=[job.pk])
    for other in ("other_civil", "supervisor", "director", "sysadmin", "auditadmin"):
        assert login(people[other]).get(url).status_code == 404, other
    ExportJob.objects.all().delete()
    job = ask(login(people["civil"]), "csv")
    Assignment.objects.filter(user=people["civil"]).delete()
    done = jobs.run_export(job.pk)
    assert done is not None and done.status == ExportStatus.FAILED and not done.file


def test_xlsx_continues_in_further_sheets_past_the_row_limit(people, login, roster, settings):
    settings.ROSTER_SHEET_ROWS = 2
    client = login(people["civil"])
    job = built(ask(client, "xlsx"))
    assert job.row_count == 3 and job.sheet_count == 2
    body = b"".join(client.get(reverse("exports:download", args=[job.pk])).streaming_content)
    book = load_workbook(io.BytesIO(body))
    sheets = [list(book[name].iter_rows(values_only=True)) for name in book.sheetnames]
    assert book.sheetnames == [roster_columns.ROSTER_SHEET, f"{roster_columns.ROSTER_SHEET} (2)"]
    assert [len(rows) for rows in sheets] == [3, 2]  # each with the header
    assert all(list(rows[0]) == list(roster_columns.EXPORT_HEADERS) for rows in sheets)


def test_up_to_the_limit_the_file_comes_at_once(people, login, roster, settings):
    settings.ROSTER_STREAM_MAX = 3
    response = login(people["civil"]).get(reverse("children:export_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert not ExportJob.objects.exists()


def test_roles_without_children_cannot_ask_for_a_job(people, login, roster):
    for name in ("sysadmin", "secadmin", "auditadmin"):
        client = login(people[name])
        assert client.get(reverse("children:export_csv")).status_code == 403
        assert client.post(reverse("children:export_xlsx")).status_code == 403
    assert not ExportJob.objects.exists()
