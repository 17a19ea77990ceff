"""The streaming .xlsx writer (core.xlsx_stream) against openpyxl's write-only mode, which it
replaced: read back by openpyxl, the same values, number formats, bold header, fills of marked
cells, column widths and sheets; text that looks like a formula stays text; characters XML
cannot hold are dropped."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core import spreadsheets, xlsx_stream
from core.spreadsheets import MARKED_FILL, MarkedRow

pytestmark = pytest.mark.django_db  # the suite's autouse fixtures read the database
HEADERS = ["姓名", "身份证号", "出生日期", "人数", "比例", "备注"]
WIDTHS = [10, 20, 12, 6, 6, 30]
ROWS = [
    ["张小明", "500109201503081234", datetime.date(2015, 3, 8), 3, 0.5, "=1+1"],
    MarkedRow(["李四", "50010920150308123X", None, 0, 1.25, "a & b <c>"], marked=[1, 2]),
    ["", " 前后有空格 ", datetime.date(2020, 2, 29), -7, 0.0, "多行\n文本"],
    ["王五", "", datetime.date(2016, 1, 1), 10**12, 2.5, "控制\x01字符\x1f"],
    ["赵六", "123", datetime.datetime(2026, 11, 23, 10, 30), True, False, "+86 138"],
]


def openpyxl_reference(rows, sheet_rows: int) -> bytes:
    """What core.spreadsheets.write_xlsx wrote before: openpyxl write-only, cell by cell."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def new(number):
        out = book.create_sheet("名册" if number == 1 else f"名册 ({number})")
        for i, w in enumerate(WIDTHS, start=1):
            out.column_dimensions[get_column_letter(i)].width = w
        header = []
        for title in HEADERS:
            cell = WriteOnlyCell(out, value=title)
            cell.font = bold
            header.append(cell)
        out.append(header)
        return out

    out = new(1)
    for n, values in enumerate(rows):
        if n and n % sheet_rows == 0:
            out = new(n // sheet_rows + 1)
        cells = []
        for i, value in enumerate(values):
            if isinstance(value, str):
                value = xlsx_stream.ILLEGAL.sub("", value)
            cell = WriteOnlyCell(out, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
            if i == 1:
                cell.number_format = "@"
            elif i == 2 and value:
                cell.number_format = "yyyy-mm-dd"
            if i in getattr(values, "marked", ()):
                cell.fill = MARKED_FILL
            cells.append(cell)
        out.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def streamed(rows, sheet_rows: int) -> bytes:
    buffer = io.BytesIO()
    count = spreadsheets.write_xlsx(
        rows,
        buffer,
        sheet="名册",
        headers=HEADERS,
        widths=WIDTHS,
        text_columns=frozenset({1}),
        date_columns=frozenset({2}),
        sheet_rows=sheet_rows,
    )
    assert count == len(rows)
    return buffer.getvalue()


def read(data: bytes) -> dict:
    book = load_workbook(io.BytesIO(data))
    return {
        ws.title: [[(c.value if c.value != "" else None) for c in row] for row in ws.iter_rows()]
        for ws in book.worksheets
    }


def styles(data: bytes) -> list:
    """Per filled cell: its number format and fill colour."""
    book = load_workbook(io.BytesIO(data))
    return [
        [
            (
                c.number_format if c.value not in (None, "") else None,
                c.fill.fgColor.rgb if c.fill.fill_type else None,
            )
            for c in row
        ]
        for ws in book.worksheets
        for row in ws.iter_rows(min_row=2)
    ]


@pytest.mark.parametrize("sheet_rows", [100, 2])
def test_the_same_workbook_as_openpyxl_wrote(sheet_rows):
    ours, theirs = streamed(ROWS, sheet_rows), openpyxl_reference(ROWS, sheet_rows)
    assert read(ours) == read(theirs)
    assert styles(ours) == styles(theirs)
    book = load_workbook(io.BytesIO(ours))
    ws = book.worksheets[0]
    assert all(cell.font.b for cell in ws[1])
    assert [ws.column_dimensions[get_column_letter(i)].width for i in range(1, 7)] == WIDTHS
    assert len(book.worksheets) == (1 if sheet_rows == 100 else 3)


def test_formula_text_stays_text_and_illegal_characters_go():
    book = load_workbook(io.BytesIO(streamed(ROWS, 100)))
    ws = book.worksheets[0]
    assert ws["F2"].value == "=1+1" and ws["F2"].data_type == "s"
    assert ws["F5"].value == "控制字符"
    assert ws["B4"].value == " 前后有空格 "
    assert ws["F3"].value == "a & b <c>"


def test_nothing_but_the_header():
    book = load_workbook(io.BytesIO(streamed([], 100)))
    assert [[c.value for c in r] for r in book.worksheets[0].iter_rows()] == [HEADERS]
