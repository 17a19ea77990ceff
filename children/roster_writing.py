"""Writing child rosters: the import template and the exports (.xlsx and CSV rows)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import IO, Any

from django.db import models
from django.db.models import FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from children import crypto
from children.choices import ETHNICITY_NAMES, Category, Status
from children.models import Child
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
        self.category_codes = tuple(Category.values)
        self.status_labels = zh_labels(Status)

    def _id(self, owner: Any) -> str:
        if owner is None:
            return ""
        return str(owner.id_number if self.full_ids else owner.id_masked)

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
                value = LIST_SEPARATOR.join(
                    labels[c] for c in self.category_codes if c in categories
                )
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
    *dict.fromkeys(c.attr for c in COLUMNS if c.relation and c.kind != ID),
    "id_cipher",
    "id_masked",
)
RELATIONS = tuple(dict.fromkeys(c.relation for c in COLUMNS if c.relation))


class CategoryCodes(models.Aggregate):
    """The category codes of a child's tags as one comma-separated text."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = models.TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s)"
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
    """The export rows of `queryset`'s children, in its order, from one query read through a
    server-side cursor on PostgreSQL (`chunk` rows at a time): the child's values, each
    parent's joined by relation (the database hashes the parents once), the categories as
    one aggregated text; no model instances. ID numbers are decrypted only for `full_ids`.
    The same cells as Writer.columns over the instances. `done(n)` is told every `chunk`."""
    writer = Writer(full_ids)
    through = Child.categories.through
    codes = (
        through.objects.filter(child_id=OuterRef("pk"))
        .order_by()
        .values("child_id")
        .annotate(codes=CategoryCodes("categorytag_id"))
        .values("codes")  # type: ignore[misc]
    )
    joined = {
        f"p_{relation}": FilteredRelation("parents", condition=Q(parents__relation=relation))
        for relation in RELATIONS
    }
    parent_columns = [f"p_{r}__{field}" for r in RELATIONS for field in ("id", *PARENT_FIELDS)]
    rows = (
        queryset.annotate(**joined, category_codes=Subquery(codes))
        .values_list("village__code", "category_codes", *CHILD_FIELDS, *parent_columns)
        .iterator(chunk_size=chunk)
    )
    width = len(PARENT_FIELDS) + 1
    count = 0
    for village_code, category_codes, *values in rows:
        child = _Record(dict(zip(CHILD_FIELDS, values, strict=False)), full_ids)
        rest = values[len(CHILD_FIELDS) :]
        parents = {}
        for n, relation in enumerate(RELATIONS):
            own = rest[n * width : (n + 1) * width]
            if own[0] is not None:
                parents[relation] = _Record(
                    dict(zip(PARENT_FIELDS, own[1:], strict=True)), full_ids
                )
        categories = set(category_codes.split(",")) if category_codes else set()
        cells = writer.columns(child, parents, categories, village_code)
        updated = timezone.localtime(child.updated_at).strftime("%Y-%m-%d %H:%M")
        cells += [writer.status_labels.get(child.status, child.status),
                  YES if child.is_key else NO, updated]  # fmt: skip
        yield cells
        count += 1
        if done is not None and count % chunk == 0:
            done(chunk)
    if done is not None and count % chunk:
        done(count % chunk)


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
