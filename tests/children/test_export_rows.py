"""The export rows read as values (roster_writing.export_rows) hold the same cells as the
columns written from the model instances, in the queryset's order, with ID numbers in full
only when asked, and a fixed number of queries per chunk."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from children.choices import Status
from children.models import Child, Parent
from children.roster_columns import EXPORT_HEADERS
from children.roster_writing import Writer, export_rows
from core.spreadsheets import NO, YES, csv_safe
from core.text import mask_phone
from tests.factories import XINGCHENG, make_child, make_id

pytestmark = pytest.mark.django_db


def from_instances(children, full_ids: bool) -> list[list]:
    """The reference: Writer.columns over model instances."""
    writer = Writer(full_ids)
    rows = []
    for child in children:
        cells = writer.columns(
            child,
            {p.relation: p for p in child.parents.all()},
            {tag.code for tag in child.categories.all()},
            child.village.code,
        )
        cells += [
            writer.status_labels.get(child.status, child.status),
            YES if child.is_key else NO,
            timezone.localtime(child.updated_at).strftime("%Y-%m-%d %H:%M"),
        ]
        rows.append(cells)
    return rows


@pytest.fixture
def children(people):
    director = people["director"]
    make_child(director, name="王一", categories=["poverty", "rural_left_behind"])
    make_child(director, name="王二", psychological_concern=True, boarding=True)
    father = {
        "name": "刘父",
        "status": "deceased",
        "id_number": make_id(datetime.date(1980, 1, 1), "M"),
    }
    make_child(director, name="刘三", parents={"father": father}, id_number="")
    make_child(people["neighbour"], XINGCHENG, name="赵四", categories=["orphan"])
    Child.objects.filter(name="赵四").update(status=Status.CLOSED)
    return Child.objects.order_by("name_pinyin", "pk")


@pytest.mark.parametrize("full_ids", [False, True])
def test_the_same_cells_as_from_the_instances(children, full_ids):
    expected = from_instances(children.select_related("village"), full_ids)
    got = list(export_rows(children, full_ids, chunk=3))
    assert got == expected
    ids = {row[3] for row in got}
    assert any("*" in i for i in ids if i) != full_ids


def test_queries_per_chunk(children):
    with CaptureQueriesContext(connection) as one_chunk:
        rows = list(export_rows(children, False, chunk=10))
    with CaptureQueriesContext(connection) as two_chunks:
        list(export_rows(children, False, chunk=2))
    assert len(rows) == 4
    assert len(one_chunk) <= 3
    assert len(two_chunks) <= 2 * 3


@pytest.mark.parametrize("full_ids", [False, True])
def test_csv_cells_are_the_cells_made_safe_for_a_spreadsheet(children, full_ids):
    """for_csv writes each cell as core.spreadsheets.csv_safe would (dates as ISO text, a
    formula turned into text), a child's and a parent's free text alike."""
    Child.objects.filter(name="王一").update(address='=HYPERLINK("http://x")', school_name="+1")
    Parent.objects.filter(name="刘父").update(work_city="@SUM(A1)")
    expected = [[csv_safe(v) for v in row] for row in from_instances(children, full_ids)]
    got = list(export_rows(children, full_ids, chunk=3, for_csv=True))
    assert got == expected
    cells = {cell for row in got for cell in row}
    assert {'\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)"} <= cells
    assert not any(isinstance(cell, datetime.date) for cell in cells)


@pytest.mark.parametrize("full_ids", [False, True])
def test_phone_numbers_are_masked_like_id_numbers(children, full_ids):
    """A parent's and the carer's phone in full only with full ID numbers (the export
    permission), else 138****2222 as the ID number is masked."""
    Child.objects.filter(name="刘三").update(carer_phone="13900001111")
    Parent.objects.filter(name="刘父").update(phone="023-68861234")
    headers = list(EXPORT_HEADERS)
    (row,) = [r for r in export_rows(children, full_ids, for_csv=True) if r[0] == "刘三"]
    carer, father = row[headers.index("监护人联系电话")], row[headers.index("父亲联系电话")]
    if full_ids:
        assert (carer, father) == ("13900001111", "023-68861234")
    else:
        assert (carer, father) == ("139****1111", "023-****1234")
    assert row == [csv_safe(v) for v in from_instances(children.filter(name="刘三"), full_ids)[0]]


@pytest.mark.parametrize(
    ("number", "masked"),
    [("13800002222", "138****2222"), ("023-68861234", "023-****1234"), ("1234567", "*******"),
     ("", "")],
)  # fmt: skip
def test_mask_phone(number, masked):
    assert mask_phone(number) == masked
