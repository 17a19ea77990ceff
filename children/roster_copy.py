"""The roster as CSV written by PostgreSQL itself, for exports with masked ID numbers.

`COPY (SELECT <cells> FROM (<export_values' query>) AS r) TO STDOUT (FORMAT csv)`: the
database turns each row of children.roster_writing.export_values into the cells that
row_function makes in Python — the Chinese labels of the choices, yes/no, dates, masked phone
numbers, the spreadsheet guard of core.spreadsheets.csv_safe, the update time in the current
time zone — and streams the CSV lines; Python only copies bytes. An export with full ID
numbers decrypts them in Python (children.crypto), so it keeps the Python writer.

The cells are those of the Python writer (tests/children/test_roster_copy.py compares the two
over every kind of column). A cell that is empty is written as nothing (not `""`), as the
standard library's csv module writes it. Lines end with LF, where the csv module ends them
with CRLF; spreadsheets read both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import IO, Any

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import Case, QuerySet, TextField, Value, When
from django.utils import timezone

from children.choices import ETHNICITY_NAMES, Category
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
)
from children.roster_writing import (
    PARENT_FIELDS,
    RELATIONS,
    Writer,
    export_values,
    value_at,
)
from core.spreadsheets import NO, YES

# core.spreadsheets._FORMULA_CHARS: a cell starting with one is run as a formula.
FORMULA_CHARS = frozenset("=+-@\t\r")


def available(full_ids: bool) -> bool:
    """Whether this export can be written by the database: PostgreSQL, masked ID numbers."""
    return connection.vendor == "postgresql" and not full_ids


class _Sql:
    """The SQL of the cells' conversions. Every constant is the code's own (labels, codes,
    yes/no) and is written as a literal: COPY takes no server-side parameters, and the
    expressions that repeat a value would repeat a placeholder."""

    @staticmethod
    def literal(value: str) -> str:
        if "\x00" in value:
            raise ValueError("PostgreSQL text holds no NUL")
        # standard_conforming_strings (on since PostgreSQL 9.1): only the quote is special
        # to the server; "%" is doubled for the client's parameter substitution (mogrify).
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"

    def labelled(self, value: str, labels: Mapping[str, str], *, safe: bool = False) -> str:
        """`value` (a code) as its label, the code itself when it has none (`safe`: a code
        with no label made safe for a spreadsheet; no label needs it)."""
        if any(label[:1] in FORMULA_CHARS for label in labels.values()):
            raise ValueError("a label that starts a formula would need the guard")
        other = self.safe(value) if safe else value
        whens = " ".join(
            f"WHEN {self.literal(code)} THEN {self.literal(label)}"
            for code, label in labels.items()
        )
        return f"(CASE {value} {whens} ELSE {other} END)" if labels else other

    def yes_no(self, value: str) -> str:
        return f"(CASE WHEN {value} THEN {self.literal(YES)} ELSE {self.literal(NO)} END)"

    def safe(self, text: str) -> str:
        """csv_safe of `text` (a cheap expression: it is repeated): text a spreadsheet would
        run as a formula gets an apostrophe first."""
        # ascii(): the first character's code, an integer compared at no collation's cost.
        starts = ", ".join(str(ord(ch)) for ch in sorted(FORMULA_CHARS))
        return f"(CASE WHEN ascii({text}) IN ({starts}) THEN '''' || {text} ELSE {text} END)"

    def masked_phone(self, value: str) -> str:
        """core.text.mask_phone: the first three and the last four characters, the digits
        between as stars; a number shorter than 8 wholly starred."""
        n = f"btrim(coalesce({value}, ''), E' \\t\\r\\n\\f\\x0B')"
        return (
            f"(CASE WHEN char_length({n}) < 8 THEN repeat('*', char_length({n})) "
            f"ELSE left({n}, 3) || translate(substr({n}, 4, char_length({n}) - 7), "
            f"'0123456789', '**********') || right({n}, 4) END)"
        )


def _cells(sql: _Sql, writer: Writer) -> list[str]:
    """The SQL of each cell, over the row `r` whose columns are c0, c1, … (export_values)."""

    def at(index: int) -> str:
        return f"r.c{index}"

    cells: list[str] = []
    for column in COLUMNS:
        if column.key == "village":
            cells.append(f"coalesce({at(0)}, '')")
            continue
        if column.key == "categories":
            cells.append(f"coalesce({at(1)}, '')")  # labels already (category_labels)
            continue
        name = "id_masked" if column.kind == ID else column.attr
        value = at(value_at(name, column.relation))
        if column.kind == ID:
            cell = f"coalesce({value}, '')"
        elif column.phone:
            cell = sql.safe(sql.masked_phone(value))
        elif column.kind == BOOL:
            cell = sql.yes_no(value)
        elif column.kind == DATE:
            cell = f"coalesce(to_char({value}, 'YYYY-MM-DD'), '')"
        else:
            labels: Mapping[str, str] = {}
            if column.kind == ETHNICITY:
                labels = ETHNICITY_NAMES
            elif column.kind == CHOICE and column.choices is not None:
                labels = writer.labels[column.choices]
            cell = f"coalesce({sql.labelled(value, labels, safe=True)}, '')"
        if column.relation:
            cell = (
                f"(CASE WHEN {at(value_at('id', column.relation))} IS NULL THEN '' ELSE {cell} END)"
            )
        cells.append(cell)
    zone = sql.literal(timezone.get_current_timezone_name())
    cells += [
        sql.labelled(at(value_at("status")), writer.status_labels),
        sql.yes_no(at(value_at("is_key"))),
        f"to_char({at(value_at('updated_at'))} AT TIME ZONE {zone}, 'YYYY-MM-DD HH24:MI')",
    ]
    return cells


def category_labels(labels: Mapping[str, str]) -> StringAgg:
    """A child's categories as the export writes them: the labels of its tags in Category's
    order, joined by LIST_SEPARATOR (aggregated over the child's few tags, where matching
    each code in an aggregated text cost a test per code and child)."""
    tag = Child.categories.through._meta.get_field("categorytag").attname
    codes = Category.values
    return StringAgg(
        Case(*[When(**{tag: code}, then=Value(labels[code])) for code in codes]),
        delimiter=LIST_SEPARATOR,
        order_by=Case(*[When(**{tag: code}, then=Value(n)) for n, code in enumerate(codes)]),
        output_field=TextField(),
    )


def copy_statement(queryset: QuerySet[Child]) -> tuple[str, list[Any]]:
    """The COPY statement of `queryset`'s roster (masked ID numbers) and its parameters
    (the inner query's, for the client to substitute)."""
    writer = Writer(full_ids=False)
    values = export_values(queryset, category_labels(writer.labels[Category]))
    inner, inner_params = values.query.sql_with_params()
    width = value_at(PARENT_FIELDS[-1], RELATIONS[-1]) + 1
    sql = _Sql()
    cells = _cells(sql, writer)
    names = ", ".join(f"c{n}" for n in range(width))
    select = ", ".join(f"NULLIF({cell}, '')" for cell in cells)
    # The code's own expressions and Django's compiled query, whose values are parameters.
    statement = (
        f"COPY (SELECT {select} FROM ({inner}) AS r({names})) "  # noqa: S608
        "TO STDOUT WITH (FORMAT csv)"
    )
    return statement, list(inner_params)


def header() -> bytes:
    """The CSV's first line: the UTF-8 byte order mark (so Excel reads the Chinese) and the
    headers, ended as COPY ends its lines."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(EXPORT_HEADERS)
    return ("\ufeff" + buffer.getvalue()).encode()


class _Counting:
    """A binary file that counts the lines written through it (a newline inside a quoted
    cell counts too: the figure is for a progress bar) and reports every `every`."""

    def __init__(self, out: IO[bytes], every: int, done: Callable[[int], None] | None) -> None:
        self.out, self.every, self.done = out, every, done
        self.lines = self.reported = 0

    def write(self, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode()
        self.out.write(data)
        self.lines += data.count(b"\n")
        if self.done is not None and self.lines - self.reported >= self.every:
            self.done(self.lines - self.reported)
            self.reported = self.lines
        return len(data)


def copy_csv(
    queryset: QuerySet[Child],
    out: IO[bytes],
    *,
    chunk: int = 2000,
    done: Callable[[int], None] | None = None,
) -> int:
    """The CSV lines of `queryset`'s roster (masked ID numbers), without the header, written
    to `out` by the database; `done(n)` told about every `chunk` lines; returns the rows."""
    statement, params = copy_statement(queryset)
    counting = _Counting(out, chunk, done)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor: COPY takes no server-side parameters
        raw.copy_expert(raw.mogrify(statement, params).decode(), counting, size=1 << 16)
        rows = int(raw.rowcount)
    if done is not None and counting.lines > counting.reported:
        done(counting.lines - counting.reported)
    return rows
