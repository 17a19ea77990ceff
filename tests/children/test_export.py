"""Roster export: CSV and XLSX, scoping, masking, the access log and constant queries."""

from __future__ import annotations

import csv
import datetime
import io
import urllib.parse

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from children import roster_columns
from children.models import AccessAction, AccessLog, Child
from children.models_roster import RosterImport
from tests.factories import CHENGUANG, XINGCHENG, make_child, make_id

ID_COLUMN = roster_columns.EXPORT_HEADERS.index(roster_columns.COLUMNS_BY_KEY["id_number"].header)
NAME_COLUMN = roster_columns.EXPORT_HEADERS.index(roster_columns.COLUMNS_BY_KEY["name"].header)


def grant_full_ids(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="export_identifier"))


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM, so Excel reads the Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list[object]]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book[roster_columns.ROSTER_SHEET].iter_rows(values_only=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded rosters go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def two_children(people):
    return [
        make_child(people["director"], id_number=make_id(), name="张小明"),
        make_child(people["civil"], XINGCHENG, id_number=make_id(), name="李小红"),
    ]


def test_csv_has_a_bom_the_headers_and_masked_ids(client, people, two_children):
    client.force_login(people["civil"])
    response = client.get(reverse("children:export_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert "attachment" in disposition and "filename*=utf-8''" in disposition
    assert urllib.parse.quote(".csv") in disposition or ".csv" in disposition
    rows = csv_rows(response)
    assert tuple(rows[0]) == roster_columns.EXPORT_HEADERS
    assert len(rows) == 3
    by_name = {row[NAME_COLUMN]: row for row in rows[1:]}
    for child in two_children:
        exported = by_name[child.name][ID_COLUMN]
        assert exported == child.id_masked and "*" in exported
        assert child.id_number not in "\n".join(",".join(r) for r in rows)


def test_full_ids_need_the_export_permission(client, people, two_children):
    grant_full_ids(people["civil"])
    client.force_login(people["civil"])
    rows = csv_rows(client.get(reverse("children:export_csv")))
    assert {row[ID_COLUMN] for row in rows[1:]} == {c.id_number for c in two_children}
    log = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert "ids=full" in log.scope


def test_xlsx_opens_with_text_ids(client, people, two_children):
    client.force_login(people["civil"])
    response = client.get(reverse("children:export_xlsx"))
    assert response.status_code == 200
    assert ".xlsx" in urllib.parse.unquote(response["Content-Disposition"])
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content))[roster_columns.ROSTER_SHEET]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == roster_columns.EXPORT_HEADERS
    assert {row[ID_COLUMN] for row in rows[1:]} == {c.id_masked for c in two_children}
    id_cell = sheet.cell(row=2, column=ID_COLUMN + 1)
    assert id_cell.data_type == "s" and id_cell.number_format == "@"


def test_exports_follow_the_scope_and_the_filters(client, people, two_children):
    make_child(people["other_director"], CHENGUANG, id_number=make_id(), name="王秀山")
    client.force_login(people["other_civil"])
    names = {row[NAME_COLUMN] for row in csv_rows(client.get(reverse("children:export_csv")))[1:]}
    assert names == {"王秀山"}
    client.force_login(people["director"])  # sees only 志达社区
    names = {row[NAME_COLUMN] for row in xlsx_rows(client.get(reverse("children:export_xlsx")))[1:]}
    assert names == {"张小明"}
    client.force_login(people["civil"])
    url = reverse("children:export_csv") + f"?region={XINGCHENG}"
    assert [row[NAME_COLUMN] for row in csv_rows(client.get(url))[1:]] == ["李小红"]
    url = reverse("children:export_csv") + "?q=zxm"
    assert [row[NAME_COLUMN] for row in csv_rows(client.get(url))[1:]] == ["张小明"]


def test_each_export_is_logged_with_its_row_count(client, people, two_children):
    client.force_login(people["civil"])
    number = two_children[0].id_number
    b"".join(client.get(reverse("children:export_csv") + f"?q={number}").streaming_content)
    b"".join(client.get(reverse("children:export_xlsx") + "?category=poverty").streaming_content)
    logs = list(AccessLog.objects.filter(action=AccessAction.EXPORT).order_by("pk"))
    assert [(log.user, log.row_count) for log in logs] == [
        (people["civil"], 1),
        (people["civil"], 0),
    ]
    assert number not in logs[0].scope  # a searched ID number is masked in the log
    assert "category=poverty" in logs[1].scope


def test_roles_without_children_cannot_export(client, people):
    for who in ("sysadmin", "nobody"):
        client.force_login(people[who])
        assert client.get(reverse("children:export_csv")).status_code == 403
        assert client.get(reverse("children:export_xlsx")).status_code == 403


def test_an_export_with_full_ids_imports_again_unchanged(client, people, two_children):
    # Also a child without an ID number (matched by name, birth date and village), of
    # another ethnic group, whose father is missing (a field the roster has no column for).
    missing = {"name": "王大", "status": "missing", "missing_since": datetime.date(2020, 5, 1)}
    make_child(
        people["civil"], id_number="", name="王小", ethnicity="15", parents={"father": missing}
    )
    grant_full_ids(people["civil"])
    client.force_login(people["civil"])
    content = b"".join(client.get(reverse("children:export_xlsx")).streaming_content)
    response = client.post(
        reverse("children:import"), {"file": SimpleUploadedFile("导出.xlsx", content)}
    )
    assert response.status_code == 302
    record = RosterImport.objects.get()
    assert record.errors == []
    assert (record.new_count, record.updated_count, record.unchanged_count) == (0, 0, 3)


def test_a_masked_export_does_not_import_by_mistake(client, people, two_children):
    client.force_login(people["civil"])
    content = b"".join(client.get(reverse("children:export_xlsx")).streaming_content)
    client.post(reverse("children:import"), {"file": SimpleUploadedFile("导出.xlsx", content)})
    record = RosterImport.objects.get()
    masked = [
        roster_columns.COLUMNS_BY_KEY[k].header
        for k in ("id_number", "father_phone", "carer_phone")
    ]
    # The masked ID numbers and the masked phone numbers are refused, row by row.
    assert {(e["row"], e["column"]) for e in record.errors} == {
        (row, header) for row in (2, 3) for header in masked
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_query_count_does_not_grow_with_rows(
    client, people, fmt, django_assert_max_num_queries
):
    grant_full_ids(people["civil"])
    client.force_login(people["civil"])
    url = reverse(f"children:export_{fmt}")
    # Session and user, permissions, scope (assignments, grants), the count and the access
    # log, the session save, then per chunk of 2000: the rows and two prefetches.
    bound = 15
    counts = []
    for total in (5, 30):
        while Child.objects.count() < total:
            make_child(people["civil"], id_number=make_id())
        with django_assert_max_num_queries(bound) as queries:
            response = client.get(url)
            content = b"".join(response.streaming_content)
        counts.append(len(queries))
        rows = csv_rows_from(content) if fmt == "csv" else xlsx_from(content)
        assert len(rows) == total + 1
    assert counts[0] == counts[1]


def csv_rows_from(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_from(content: bytes) -> list[tuple[object, ...]]:
    return list(
        load_workbook(io.BytesIO(content))[roster_columns.ROSTER_SHEET].iter_rows(values_only=True)
    )
