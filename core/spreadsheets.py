"""Spreadsheet imports and exports: reading cells, writing templates and exports, the report of
bad rows and cells, the all-or-nothing import and the record that keeps an upload between its
dry run and its commit. Child rosters (children.roster_*) and training results
(training.importing) are built on these.

An import is two steps: a dry run checks the upload and reports every bad row (row number,
column header, reason) and what would change; the commit checks the kept file again and
writes every row, or none.

Writes happen at entry points in one transaction, with one exception: a dry run that needs the
archive to judge its rows (the roster import runs every row through the same services as the
commit) writes inside `all_or_nothing(commit=False)`, whose transaction is always rolled back.
Nothing a dry run writes is ever kept, and it must queue no side effects (a rolled-back
transaction runs no on_commit callbacks).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any
from zipfile import BadZipFile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from core import xlsx_stream

YES = "是"
NO = "否"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- Reading ---------------------------------------------------------------------------------


class SheetError(ValidationError):
    """The upload is not a workbook that can be read at all."""


class CellError(Exception):
    """A cell value that cannot be used; the message names what to write instead."""


def open_rows(file: Any, sheet: str = "") -> Generator[tuple[Any, ...], None, None]:
    """The rows of a workbook's sheet named `sheet` (the first sheet when there is none of that
    name) as tuples of cell values. `file` is a binary file object (an upload, or the stored
    file). Raises SheetError at the first row when the file is not a readable workbook."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise SheetError(
            _("The file cannot be read as an Excel workbook (.xlsx)."), code="unreadable"
        ) from exc
    try:
        if not workbook.worksheets:
            raise SheetError(_("The workbook has no sheet."), code="unreadable")
        found = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        yield from found.iter_rows(values_only=True)
    finally:
        workbook.close()


def cell_text(value: Any, *, bool_words: bool = True) -> str:
    """A cell as text: whole numbers without ".0", dates as 2015-03-08, booleans as 是/否
    (or as Python writes them when `bool_words` is False)."""
    if value is None:
        return ""
    if bool_words and isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def fold(value: str) -> str:
    """Text compared loosely: no spaces, ASCII parentheses, case folded."""
    return re.sub(r"\s+", "", value).replace("（", "(").replace("）", ")").casefold()


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def cell_date(value: Any) -> datetime.date | None:
    """A date cell: a date, 20150308, an Excel serial day number or text in a usual format."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if 10000000 <= number <= 99991231:  # 20150308
            value = str(number)
        elif 0 < number < 100000:  # an Excel serial day number
            return datetime.date(1899, 12, 30) + datetime.timedelta(days=number)
    text = cell_text(value).split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a plain date
        except ValueError:
            continue
    raise CellError(_("Not a date: write it as 2015-03-08."))


def cell_bool(value: Any) -> bool | None:
    """A yes/no cell: 是/否 and the usual spellings; None when empty."""
    text = fold(cell_text(value))
    if not text:
        return None
    if text in {YES, "y", "yes", "true", "1", "有"}:
        return True
    if text in {NO, "n", "no", "false", "0", "无"}:
        return False
    raise CellError(_("Write %(yes)s or %(no)s.") % {"yes": YES, "no": NO})


# --- The report and the all-or-nothing import ------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A bad cell, row or file in the report of an import."""

    row: int  # the spreadsheet row number; 0 for the file as a whole
    column: str  # the column header, "" for the row as a whole
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class _Rollback(Exception):
    pass


@dataclass
class ImportRun:
    """What `all_or_nothing` did: `committed` once the transaction is kept."""

    errors: list[RowError]
    committed: bool = False


@contextmanager
def all_or_nothing(*, commit: bool, errors: list[RowError]) -> Iterator[ImportRun]:
    """One transaction around the writes of an import. It is kept only when `commit` is true
    and no error was added to `errors` by the end of the block; otherwise it is rolled back
    (always for a dry run), and `run.committed` stays False. An exception in the block rolls
    back and propagates."""
    run = ImportRun(errors=errors)
    try:
        with transaction.atomic():
            yield run
            if not commit or errors:
                raise _Rollback
            run.committed = True
    except _Rollback:
        pass


PREVIEWED = "previewed"  # the status of an import record that is checked, not yet imported


class ImportRecord(models.Model):
    """An uploaded workbook kept between its dry run and its commit, with the dry run's report.
    Concrete records add the file (with their own storage path), the status and what the
    import is for."""

    original_name = models.CharField(gettext_lazy("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    row_count = models.PositiveIntegerField(gettext_lazy("rows"), default=0)
    # [{"row": 3, "column": "公民身份号码", "message": "..."}]; row 0 is the file as a whole.
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(gettext_lazy("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(gettext_lazy("imported at"), null=True, blank=True)

    status: Any  # a CharField with the app's choices, PREVIEWED among them

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def can_commit(self) -> bool:
        return self.status == PREVIEWED and not self.errors


# --- Writing ---------------------------------------------------------------------------------


def new_sheet(workbook: Workbook, title: str) -> Worksheet:
    """The first sheet of a new workbook, named `title`."""
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # noqa: S101 - a new workbook has a sheet
    sheet.title = title
    return sheet


def write_header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    """Append a bold header row and set the column widths."""
    sheet.append(list(headers))
    bold = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


# The fill of a cell an export marks (a changed field, say).
MARKED_FILL = PatternFill("solid", fgColor="FFF2CC")


class MarkedRow(list[Any]):
    """A row of cell values with some cells marked (0-based indexes), which `write_xlsx`
    fills with `MARKED_FILL`."""

    def __init__(self, values: Iterable[Any], marked: Iterable[int] = ()) -> None:
        super().__init__(values)
        self.marked = frozenset(marked)


# Excel's rows per sheet (1,048,576), less the header row.
SHEET_ROWS = 1_048_575


def sheets_for(rows: int, sheet_rows: int = SHEET_ROWS) -> int:
    """The sheets `write_xlsx` writes for `rows` rows."""
    return max(1, -(-rows // sheet_rows))


def write_xlsx(
    rows: Iterable[Sequence[Any]],
    file: IO[bytes],
    *,
    sheet: str,
    headers: Sequence[str],
    widths: Sequence[int],
    text_columns: frozenset[int] = frozenset(),
    date_columns: frozenset[int] = frozenset(),
    sheet_rows: int = SHEET_ROWS,
) -> int:
    """An export workbook written in constant memory (core.xlsx_stream: the sheet's XML
    streamed into the zip); returns the number of rows. Past `sheet_rows` rows (Excel's
    limit, less the header) the rows go on in another sheet with the same header ("名册 (2)",
    …): `sheets_for(rows)` tells how many. Text starting with "=" stays text, never a
    formula; `text_columns` and `date_columns` (0-based) are formatted as text and as dates;
    the marked cells of a `MarkedRow` are filled."""
    return xlsx_stream.write(
        rows,
        file,
        sheet=sheet,
        headers=headers,
        widths=widths,
        text_columns=text_columns,
        date_columns=date_columns,
        sheet_rows=sheet_rows,
        fill=str(MARKED_FILL.fgColor.rgb),
    )


_FORMULA_CHARS = frozenset("=+-@\t\r")


def csv_safe(value: Any) -> str:
    """A cell for CSV: dates as 2015-03-08, and text that a spreadsheet would run as a formula
    prefixed with an apostrophe."""
    if value.__class__ is str:  # most cells: the quick path
        text: str = value
        return "'" + text if text[:1] in _FORMULA_CHARS else text
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_CHARS else text
