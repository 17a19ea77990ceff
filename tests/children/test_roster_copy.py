"""The roster CSV written by PostgreSQL (children.roster_copy) holds the same cells as the
Python writer (roster_writing.export_rows for CSV), in the same order, for every kind of
column: labels, yes/no, dates, masked ID and phone numbers, the spreadsheet guard, absent
parents, text with commas, quotes and line breaks, the update time in the current zone."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from children import roster_copy
from children.choices import ETHNICITY_NAMES, Status
from children.models import Child, Parent
from children.roster_writing import export_rows
from tests.factories import XINGCHENG, make_child, make_id

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="COPY is PostgreSQL's (CI runs it there)"
    ),
]


@pytest.fixture
def children(people):
    director = people["director"]
    father = {
        "name": "刘父",
        "status": "deceased",
        "id_number": make_id(datetime.date(1980, 1, 1), "M"),
    }
    mother = {
        "name": '王"母',
        "status": "migrant",
        "work_city": "=CMD()",
    }
    make_child(
        director, name="王一", categories=["poverty", "rural_left_behind"], id_number=make_id()
    )
    make_child(director, name="王二", psychological_concern=True, boarding=True, ethnicity="03")
    make_child(director, name="刘三", parents={"father": father, "mother": mother}, id_number="")
    make_child(people["neighbour"], XINGCHENG, name="赵四", categories=["orphan"])
    Child.objects.filter(name="赵四").update(status=Status.CLOSED, is_key=True)
    Child.objects.filter(name="王一").update(
        address='重庆市北碚区, "静观镇"\n二组',
        school_name="-1",
        carer_phone=" 13800002222 ",
        entrustment_signed_on=datetime.date(2026, 2, 1),
    )
    Child.objects.filter(name="王二").update(carer_phone="1234567", grade="@三年级")
    Parent.objects.filter(name="刘父").update(phone="023-68861234")
    # Numbers from before the check (an old import): the masked form may start a formula.
    Parent.objects.filter(name='王"母').update(phone="+8613900001111")
    return Child.objects.order_by("name_pinyin", "pk")


def copied(queryset, **kwargs) -> tuple[list[list[str]], int]:
    out = io.BytesIO()
    rows = roster_copy.copy_csv(queryset, out, **kwargs)
    return list(csv.reader(io.StringIO(out.getvalue().decode()))), rows


def test_the_same_cells_as_the_python_writer(children):
    expected = [[str(cell) for cell in row] for row in export_rows(children, False, for_csv=True)]
    got, rows = copied(children)
    assert got == expected
    assert rows == len(expected) == 4
    cells = {cell for row in got for cell in row}
    # The guard, the masked phones and the labels are there (the comparison is not vacuous).
    assert {"'=CMD()", "'-1", "'@三年级", "'+86*******1111", "138****2222", "*******"} <= cells
    assert {"023-****1234", "2026-02-01", ETHNICITY_NAMES["03"]} <= cells


def test_the_order_and_the_filter_of_the_queryset(children):
    ordered = children.filter(status=Status.ACTIVE).order_by("-name_pinyin")
    got, rows = copied(ordered)
    assert [row[0] for row in got] == list(ordered.values_list("name", flat=True))
    assert rows == 3


def test_no_full_id_number_is_ever_written(children):
    got, _rows = copied(children)
    ids = {row[3] for row in got if row[3]}
    assert ids and all("*" in number for number in ids)
    assert roster_copy.available(full_ids=False)
    assert not roster_copy.available(full_ids=True)


def test_one_statement_and_progress_by_chunk(children):
    told: list[int] = []
    with CaptureQueriesContext(connection) as queries:
        _got, rows = copied(children, chunk=2, done=told.append)
    assert rows == 4
    assert sum(told) >= 4 and all(n >= 2 for n in told[:-1])
    assert len(queries) <= 1
