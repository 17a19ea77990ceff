"""Writing child rosters: the import template and the exports (.xlsx and CSV rows)."""

from __future__ import annotations

import csv
import io
import itertools
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
from core.text import mask_phone


class Writer:
    """Turns children into rows of cell values in the order of `EXPORT_HEADERS`: ID numbers
    and phone numbers in full only for `full_ids` (those who may export identifiers)."""

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
            elif column.phone and not self.full_ids:
                value = mask_phone(getattr(owner, column.attr) or "")
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


def value_at(name: str, relation: str = "") -> int:
    """Where a row of export_values holds a child's field (of CHILD_FIELDS) or, for a
    `relation`, that parent's "id" or field (of PARENT_FIELDS). 0 is the village code, 1
    the category codes."""
    if not relation:
        return 2 + CHILD_FIELDS.index(name)
    base = 2 + len(CHILD_FIELDS) + RELATIONS.index(relation) * (len(PARENT_FIELDS) + 1)
    return base + ("id", *PARENT_FIELDS).index(name)


class CategoryCodes(models.Aggregate):
    """The category codes of a child's tags as one comma-separated text."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = models.TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s)"
        )


def _cell(
    at: int, kind: str, labels: str | None, full_ids: bool, for_csv: bool, phone: bool = False
) -> str:
    """The expression of a column's cell from the row value at `at`, as Writer.columns
    converts it (`labels` names the column's choice labels in row_function's namespace);
    `for_csv`, a cell that may hold free text or a date as core.spreadsheets.csv_safe
    writes it (ID numbers and yes/no cannot start a formula; a masked phone can, as
    +86****1234); a `phone` masked unless `full_ids`."""
    value = f"r[{at}]"
    if kind == ID:
        return f"str(decrypt({value}))" if full_ids else f"str({value})"
    if phone and not full_ids:
        cell = f'mask_phone({value} or "")'
        return f"csv_safe({cell})" if for_csv else cell
    if kind == BOOL:
        return f"(YES if {value} else NO)"
    if kind == ETHNICITY:
        cell = f"ETHNICITY_NAMES.get({value}, {value})"
    elif labels is not None:
        cell = f"{labels}.get({value}, {value})"
    else:
        cell = f'("" if {value} is None else {value})'
    return f"csv_safe({cell})" if for_csv else cell


def row_function(writer: Writer, for_csv: bool = False) -> Callable[[tuple[Any, ...]], list[Any]]:
    """The cells of a row of export_rows' query (village code, category codes, CHILD_FIELDS,
    then per relation the parent's id and PARENT_FIELDS): the same cells as Writer.columns
    over a child and its parents, then status, key child and last update; `for_csv`, each
    as core.spreadsheets.csv_safe writes it.

    A million rows of some forty cells each are most of an export's time, so the row is
    compiled once per export into one function returning one list display (no call per
    cell), as the standard library's dataclasses compile their methods. Its source holds
    only row indices and the names bound below, never data."""
    category_labels = writer.labels[Category]
    known: dict[str | None, str] = {}

    def categories(codes: str | None) -> str:
        text = known.get(codes)
        if text is None:
            held = set(codes.split(",")) if codes else set()
            text = known[codes] = LIST_SEPARATOR.join(
                category_labels[c] for c in writer.category_codes if c in held
            )
        return text

    namespace: dict[str, Any] = {
        "YES": YES,
        "NO": NO,
        "ETHNICITY_NAMES": ETHNICITY_NAMES,
        "decrypt": crypto.decrypt,
        "csv_safe": spreadsheets.csv_safe,
        "mask_phone": mask_phone,
        "categories": categories,
        "status_labels": writer.status_labels,
        "zone": timezone.get_current_timezone(),
    }
    cells: list[str] = []
    for column in COLUMNS:
        if column.key == "village":
            cells.append("r[0]")
            continue
        if column.key == "categories":
            cells.append("categories(r[1])")
            continue
        labels = None
        if column.kind == CHOICE and column.choices is not None:
            labels = f"labels_{len(namespace)}"  # a name of its own, whatever the class's
            namespace[labels] = writer.labels[column.choices]
        name = column.attr
        if column.kind == ID:
            name = "id_cipher" if writer.full_ids else "id_masked"
        if not column.relation:
            cells.append(
                _cell(value_at(name), column.kind, labels, writer.full_ids, for_csv, column.phone)
            )
            continue
        base = value_at("id", column.relation)
        at = value_at(name, column.relation)
        own = _cell(at, column.kind, labels, writer.full_ids, for_csv, column.phone)
        cells.append(f'("" if r[{base}] is None else {own})')
    status, key, updated = (value_at(f) for f in ("status", "is_key", "updated_at"))
    cells += [
        f"status_labels.get(r[{status}], r[{status}])",
        f"(YES if r[{key}] else NO)",
        f"r[{updated}].astimezone(zone).strftime('%Y-%m-%d %H:%M')",
    ]
    source = "def row_cells(r):\n    return [\n        " + ",\n        ".join(cells) + ",\n    ]\n"
    exec(compile(source, "<roster row>", "exec"), namespace)  # noqa: S102 - our own source
    return namespace["row_cells"]  # type: ignore[no-any-return]


def export_values(
    queryset: QuerySet[Child], categories: models.Aggregate | None = None
) -> QuerySet[Child, tuple[Any, ...]]:
    """The values an export row is made of, in `queryset`'s order, from one query: the
    village code, the category codes as one aggregated text (or the `categories` aggregate
    over the child's tags), CHILD_FIELDS, then per relation the parent's id and
    PARENT_FIELDS (each parent joined by relation: the database hashes the parents once); no
    model instances. row_function (Python) and children.roster_copy (SQL) turn them into
    cells."""
    through = Child.categories.through
    codes = (
        through.objects.filter(child_id=OuterRef("pk"))
        .order_by()
        .values("child_id")
        .annotate(codes=categories or CategoryCodes("categorytag_id"))
        .values("codes")  # type: ignore[misc]
    )
    joined = {
        f"p_{relation}": FilteredRelation("parents", condition=Q(parents__relation=relation))
        for relation in RELATIONS
    }
    parent_columns = [f"p_{r}__{field}" for r in RELATIONS for field in ("id", *PARENT_FIELDS)]
    return queryset.annotate(**joined, category_codes=Subquery(codes)).values_list(
        "village__code", "category_codes", *CHILD_FIELDS, *parent_columns
    )


def export_rows(
    queryset: QuerySet[Child],
    full_ids: bool,
    *,
    chunk: int = 2000,
    done: Callable[[int], None] | None = None,
    for_csv: bool = False,
) -> Iterator[list[Any]]:
    """The export rows of `queryset`'s children, in its order, from export_values' one query
    read through a server-side cursor on PostgreSQL (`chunk` rows at a time). ID numbers are
    decrypted only for `full_ids`. The same cells as Writer.columns over the instances
    (`for_csv`, as csv_lines writes them). `done(n)` is told every `chunk`."""
    rows = export_values(queryset).iterator(chunk_size=chunk)
    row_cells = row_function(Writer(full_ids), for_csv)
    count = 0
    for row in rows:
        yield row_cells(row)
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


def csv_lines(rows: Iterable[list[Any]], *, batch: int = 1000) -> Iterator[bytes]:
    """The roster as CSV (UTF-8 with BOM, so Excel reads the Chinese), `batch` rows per
    piece, from `export_rows(..., for_csv=True)`: a cell that would start a formula is text
    already."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADERS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    rows = iter(rows)
    while piece := list(itertools.islice(rows, batch)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(piece)
        yield buffer.getvalue().encode()
