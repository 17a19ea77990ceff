"""Writing child rosters: the import template and the exports (.xlsx and CSV rows)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from itertools import islice
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from children import crypto
from children.choices import ETHNICITY_NAMES, Category, Status
from children.models import Child, Parent
from children.roster_columns import (
    BOOL,
    CHOICE,
    COLUMNS,
    DATE,
    ETHNICITY,
    EXPORT_HEADERS,
    ID,
    LIST_SEPARATOR,
    NOTES_SHEET,
    ROSTER_SHEET,
    allowed_values,
    zh_labels,
)
from core import spreadsheets
from core.spreadsheets import NO, YES


class Writer:
    """Turns children into rows of cell values in the order of `EXPORT_HEADERS`."""

    def __init__(self, full_ids: bool) -> None:
        self.full_ids = full_ids
        self.labels = {c.choices: zh_labels(c.choices) for c in COLUMNS if c.choices is not None}
        self.status_labels = zh_labels(Status)

    def _id(self, owner: Child | Parent | None) -> str:
        if owner is None:
            return ""
        return owner.id_number if self.full_ids else owner.id_masked

    def columns(
        self,
        child: Any,
        parents: Mapping[str, Any],
        categories: Collection[str],
        village_code: str,
    ) -> list[Any]:
        """The cells of `COLUMNS` (the national registration form) for a child (a Child, or
        export_rows' record of its values) with these parents (by relation), category codes
        and village: the child as it is now, or as a
        history row says it was (children.national compares the two)."""
        values: list[Any] = []
        for column in COLUMNS:
            owner: Any = parents.get(column.relation) if column.relation else child
            if column.key == "village":
                value: Any = village_code
            elif column.key == "categories":
                labels = self.labels[Category]
                value = LIST_SEPARATOR.join(labels[c] for c in Category.values if c in categories)
            elif owner is None:
                value = ""
            elif column.kind == ID:
                value = self._id(owner)
            else:
                value = getattr(owner, column.attr)
                if column.kind == BOOL:
                    value = YES if value else NO
                elif column.kind == ETHNICITY:
                    value = ETHNICITY_NAMES.get(value, value)
                elif column.kind == CHOICE and column.choices is not None:
                    value = self.labels[column.choices].get(value, value)
                elif value is None:
                    value = ""
            values.append(value)
        return values


# What an export row reads of a child and of a parent (the columns' attributes, the ID's
# cipher and masked form, and the three closing columns).
_OWN = ("village", "categories")
CHILD_FIELDS = (
    *dict.fromkeys(
        c.attr for c in COLUMNS if not c.relation and c.kind != ID and c.key not in _OWN
    ),
    "id_cipher",
    "id_masked",
    "status",
    "is_key",
    "updated_at",
)
PARENT_FIELDS = (
    "child_id",
    "relation",
    *dict.fromkeys(c.attr for c in COLUMNS if c.relation and c.kind != ID),
    "id_cipher",
    "id_masked",
)


class _Record:
    """A child's or a parent's values with attribute access, as Writer.columns reads them
    (`id_number` decrypted only when the export shows full ID numbers)."""

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - for the type checker
        raise AttributeError(name)

    def __init__(self, values: dict[str, Any], full_ids: bool) -> None:
        self.__dict__.update(values)
        if full_ids:
            self.id_number = crypto.decrypt(values["id_cipher"])


def export_rows(
    queryset: QuerySet[Child],
    full_ids: bool,
    *,
    chunk: int = 2000,
    done: Callable[[int], None] | None = None,
) -> Iterator[list[Any]]:
    """The export rows of `queryset`'s children, in its order, read as values rather than
    model instances: per `chunk` children one query of the children (a server-side cursor on
    PostgreSQL), one of their parents and one of their categories; ID numbers decrypted only
    for `full_ids`. The same cells as Writer.row. `done(n)` is told after each chunk."""
    writer = Writer(full_ids)
    through = Child.categories.through
    rows = queryset.values_list("pk", "village__code", *CHILD_FIELDS).iterator(chunk_size=chunk)
    while batch := list(islice(rows, chunk)):
        ids = [row[0] for row in batch]
        parents: dict[int, dict[str, _Record]] = defaultdict(dict)
        for values in Parent.objects.filter(child_id__in=ids).values(*PARENT_FIELDS):
            parents[values["child_id"]][values["relation"]] = _Record(values, full_ids)
        categories: dict[int, set[str]] = defaultdict(set)
        for child_id, code in through.objects.filter(child_id__in=ids).values_list(
            "child_id", "categorytag_id"
        ):
            categories[child_id].add(code)
        for pk, village_code, *values in batch:
            child = _Record(dict(zip(CHILD_FIELDS, values, strict=True)), full_ids)
            cells = writer.columns(
                child, parents.get(pk, {}), categories.get(pk, set()), village_code
            )
            updated = timezone.localtime(child.updated_at).strftime("%Y-%m-%d %H:%M")
            cells += [writer.status_labels.get(child.status, child.status),
                      YES if child.is_key else NO, updated]  # fmt: skip
            yield cells
        if done is not None:
            done(len(batch))


def write_template(file: IO[bytes]) -> None:
    """The import template: the roster sheet (identity numbers, phones and codes formatted as
    text, drop-down lists where they fit) and the instructions sheet."""
    workbook = Workbook()
    sheet = spreadsheets.new_sheet(workbook, ROSTER_SHEET)
    spreadsheets.write_header(sheet, [c.header for c in COLUMNS], [c.width for c in COLUMNS])
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    last_row = 1000
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index)
        head.alignment = Alignment(wrap_text=True, vertical="center")
        if column.required:
            head.fill = required_fill
        if column.as_text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, last_row + 1):
                sheet.cell(row=row, column=index).number_format = "@"
        elif column.kind == DATE:
            for row in range(2, last_row + 1):
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
        allowed = allowed_values(column).split(LIST_SEPARATOR)
        formula = '"' + ",".join(allowed) + '"'
        if (
            column.kind in (CHOICE, BOOL)
            and len(formula) <= 255
            and not any("," in v or '"' in v for v in allowed)
        ):
            validation = DataValidation(type="list", formula1=formula, allow_blank=True)
            validation.error = "请从下拉列表中选择"
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{last_row}")
    sheet.freeze_panes = "B2"

    notes = workbook.create_sheet(NOTES_SHEET)
    spreadsheets.write_header(notes, ["列名", "是否必填", "可填的值", "说明"], (24, 10, 60, 60))
    for column in COLUMNS:
        notes.append(
            [column.header, YES if column.required else "", allowed_values(column), column.note]
        )
    notes.append([])
    notes.append(["一行一名儿童；同一儿童（同一身份证号码）只能出现一次。"])
    notes.append(["身份证号码列须设为文本格式，否则会被存为数字而丢失末几位。"])
    notes.append(["导入前系统会先检查全部行并列出问题；全部无误才会一次性导入。"])
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(file)


def write_xlsx(
    rows: Iterable[list[Any]], file: IO[bytes], sheet_rows: int = spreadsheets.SHEET_ROWS
) -> int:
    """An export workbook written in constant memory, continued in further sheets past
    `sheet_rows` rows; returns the number of rows."""
    return spreadsheets.write_xlsx(
        rows,
        file,
        sheet=ROSTER_SHEET,
        headers=EXPORT_HEADERS,
        widths=[c.width for c in COLUMNS] + [8, 8, 16],
        text_columns=frozenset(i for i, c in enumerate(COLUMNS) if c.as_text),
        date_columns=frozenset(i for i, c in enumerate(COLUMNS) if c.kind == DATE),
        sheet_rows=sheet_rows,
    )


class _Echo:
    """A file-like object whose write returns the line, for csv.writer line by line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """The roster as CSV lines (UTF-8 with BOM, so Excel reads the Chinese); a cell that
    would start a formula is made text."""
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    yield writer.writerow(EXPORT_HEADERS).encode()
    for values in rows:
        yield writer.writerow([spreadsheets.csv_safe(v) for v in values]).encode()
