"""Reading a child roster workbook: every cell's value, required columns and values, identity
numbers, duplicates within the file and villages in the importer's scope. Rules that need the
archive (duplicates elsewhere, cross-checks) are left to children.roster_import."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from children import idnumber
from children.choices import ETHNICITY_BY_NAME, ETHNICITY_NAMES
from children.roster_columns import (
    BOOL,
    CHOICE,
    COLUMNS,
    COLUMNS_BY_KEY,
    DATE,
    ETHNICITY,
    EXPORT_ONLY_HEADERS,
    ID,
    LIST_SEPARATOR,
    MAX_ROWS,
    MULTI,
    ROSTER_SHEET,
    VILLAGE,
    Column,
    allowed_values,
    label_lookup,
    normalize_header,
)
from core import permissions
from core.spreadsheets import CellError, RowError, cell_bool, cell_date, cell_text, fold, open_rows
from org.models import Region, User

_HEADER_KEYS = {normalize_header(c.header): c.key for c in COLUMNS}
_EXPORT_ONLY = {normalize_header(h) for h in EXPORT_ONLY_HEADERS}


def _id_text(value: Any) -> str:
    """An identity number cell as text. A number cell has lost digits already (Excel keeps 15
    significant digits): write it the way Excel shows it, which `idnumber.parse` refuses with
    the advice to format the column as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        mantissa, exponent = f"{float(value):.14E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E+{int(exponent)}"
    return idnumber.normalize(cell_text(value))


def _ethnicity(value: Any) -> str:
    text = cell_text(value)
    if not text:
        return ""
    if text.isdigit() and text.zfill(2) in ETHNICITY_NAMES:
        return text.zfill(2)
    code = ETHNICITY_BY_NAME.get(text) or ETHNICITY_BY_NAME.get(f"{text}族")
    if code is None:
        raise CellError(_("Not an ethnic group of the national list, such as 汉族 or 土家族."))
    return code


class Lookups:
    """Label maps for one parse (translations are read once, not per cell)."""

    def __init__(self) -> None:
        self.maps = {c.choices: label_lookup(c.choices) for c in COLUMNS if c.choices is not None}

    def choice(self, column: Column, value: Any) -> str:
        text = cell_text(value)
        if not text:
            return ""
        code = self.maps[column.choices].get(fold(text)) if column.choices else None
        if code is None:
            raise CellError(_allowed_message(column))
        return code

    def multi(self, column: Column, value: Any) -> list[str]:
        codes: list[str] = []
        for part in re.split(r"[、,，;；]", cell_text(value)):
            if part.strip():
                code = self.choice(column, part.strip())
                if code not in codes:
                    codes.append(code)
        return codes


def _allowed_message(column: Column) -> str:
    allowed = allowed_values(column)
    return _("Not one of the allowed values: %(values)s.") % {"values": allowed}


@dataclass
class RosterRow:
    number: int
    values: dict[str, Any]  # column key -> parsed value, for the columns in the file
    id_number: str = ""  # normalised and valid, or "" (none given)
    facts: idnumber.IdFacts | None = None
    village: Region | None = None


@dataclass
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    keys: frozenset[str] = frozenset()  # the keys of the columns found in the file
    row_count: int = 0  # non-empty data rows, bad ones included

    @property
    def ok(self) -> bool:
        return not self.errors


def _find_header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, tuple[Any, ...]] | None:
    """The header row: the first of the first ten rows naming the 姓名 column, else the first
    non-empty row (so missing columns are named)."""
    first: tuple[int, tuple[Any, ...]] | None = None
    name_header = normalize_header(COLUMNS_BY_KEY["name"].header)
    for number, row in enumerate(rows, start=1):
        if any(cell not in (None, "") for cell in row):
            if first is None:
                first = (number, row)
            if name_header in {normalize_header(cell) for cell in row}:
                return number, row
        if number >= 10:
            break
    return first


def parse_workbook(file: Any, user: User, today: datetime.date) -> RosterParse:
    """Read and check a roster workbook: every cell's value, required columns and values,
    identity numbers, duplicates within the file and villages in `user`'s scope. Rules that
    need the archive (duplicates elsewhere, cross-checks) are left to `apply_roster`.
    `file` is a binary file object (an upload, or the stored file); SheetError when it is not
    a readable workbook."""
    result = RosterParse()
    rows = open_rows(file, ROSTER_SHEET)
    try:
        found = _find_header(rows)
        if found is None:
            result.errors.append(RowError(0, "", _("The sheet is empty.")))
            return result
        header_number, header = found
        positions: dict[str, int] = {}
        for index, cell in enumerate(header):
            name = normalize_header(cell)
            if not name or name in _EXPORT_ONLY:
                continue
            key = _HEADER_KEYS.get(name)
            if key is None:
                result.warnings.append(
                    RowError(0, str(cell), _("This column is not in the template; ignored."))
                )
            elif key in positions:
                result.errors.append(
                    RowError(0, COLUMNS_BY_KEY[key].header, _("This column appears twice."))
                )
            else:
                positions[key] = index
        missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
        if missing:
            result.errors.append(
                RowError(
                    0,
                    LIST_SEPARATOR.join(missing),
                    _("Required columns are missing: %(columns)s. Start from the template.")
                    % {"columns": LIST_SEPARATOR.join(missing)},
                )
            )
        if result.errors:
            return result
        result.keys = frozenset(positions)
        lookups = Lookups()
        number = header_number
        for number, raw in enumerate(rows, start=header_number + 1):
            if not any(cell not in (None, "") and str(cell).strip() for cell in raw):
                continue
            result.row_count += 1
            if result.row_count > MAX_ROWS:
                result.errors.append(
                    RowError(
                        number,
                        "",
                        _("A file holds at most %(max)d children: split it.") % {"max": MAX_ROWS},
                    )
                )
                return result
            cells = {key: raw[i] if i < len(raw) else None for key, i in positions.items()}
            result.rows.append(_parse_row(number, cells, lookups, today, result.errors))
    finally:
        rows.close()
    if result.row_count == 0:
        result.errors.append(RowError(0, "", _("The sheet has no children below the header.")))
    _check_villages(result, user)
    _check_duplicates(result)
    return result


def _parse_row(
    number: int,
    cells: dict[str, Any],
    lookups: Lookups,
    today: datetime.date,
    errors: list[RowError],
) -> RosterRow:
    row = RosterRow(number=number, values={})
    bad: set[str] = set()

    def err(key: str, message: str) -> None:
        bad.add(key)
        errors.append(RowError(number, COLUMNS_BY_KEY[key].header, message))

    for key, raw in cells.items():
        column = COLUMNS_BY_KEY[key]
        try:
            row.values[key] = _parse_cell(column, raw, lookups)
        except CellError as exc:
            err(key, str(exc))
            continue
        if column.max_length and len(row.values[key]) > column.max_length:
            err(key, _("At most %(n)d characters.") % {"n": column.max_length})

    number_text = row.values.get("id_number", "")
    if "*" in number_text:
        err(
            "id_number",
            _(
                "The ID number is masked. Enter the full number, or export the roster with "
                "full ID numbers to import it again."
            ),
        )
    elif number_text:
        try:
            row.facts = idnumber.parse(number_text, today)
            row.id_number = row.facts.number
        except ValidationError as exc:
            for message in exc.messages:
                err("id_number", message)
    id_bad = bool(number_text) and row.facts is None
    # Gender and date of birth may be left to the ID number.
    if row.facts is not None:
        if not row.values.get("gender"):
            row.values["gender"] = row.facts.gender
        if not row.values.get("birth_date"):
            row.values["birth_date"] = row.facts.birth_date
    for column in COLUMNS:
        if not column.required or column.key == "id_number" or column.key not in row.values:
            continue
        if row.values[column.key] in ("", None) and column.key not in bad:
            if column.key in ("gender", "birth_date") and id_bad:
                continue  # the ID number's own error says what to fix
            err(column.key, _("This column is required."))
    return row


def _parse_cell(column: Column, raw: Any, lookups: Lookups) -> Any:
    if column.kind == ID:
        return _id_text(raw)
    if column.kind == DATE:
        return cell_date(raw)
    if column.kind == BOOL:
        return cell_bool(raw)
    if column.kind == CHOICE:
        return lookups.choice(column, raw)
    if column.kind == MULTI:
        return lookups.multi(column, raw)
    if column.kind == ETHNICITY:
        return _ethnicity(raw)
    if column.kind == VILLAGE:
        text = cell_text(raw)
        if text and not re.fullmatch(r"\d{12}", text):
            raise CellError(_("A village code has 12 digits."))
        return text
    return cell_text(raw)


def _check_villages(result: RosterParse, user: User) -> None:
    codes = {row.values.get("village") for row in result.rows} - {"", None}
    villages = {
        region.code: region
        for region in Region.objects.villages_in(permissions.archive_scope(user)).filter(
            code__in=codes
        )
    }
    header = COLUMNS_BY_KEY["village"].header
    for row in result.rows:
        code = row.values.get("village")
        if not code:
            continue
        row.village = villages.get(code)
        if row.village is None:
            result.errors.append(
                RowError(
                    row.number,
                    header,
                    _("%(code)s is not a village or community where you keep archives.")
                    % {"code": code},
                )
            )


def _identity(row: RosterRow) -> tuple[str, ...] | None:
    if row.id_number:
        return ("id", row.id_number)
    if row.values.get("id_number"):
        return None  # a bad number: its own error is enough
    name, birth = row.values.get("name"), row.values.get("birth_date")
    if name and birth:
        return ("person", name, str(birth), str(row.values.get("village", "")))
    return None


def _check_duplicates(result: RosterParse) -> None:
    seen: dict[tuple[str, ...], int] = {}
    for row in result.rows:
        identity = _identity(row)
        if identity is None:
            continue
        if identity in seen:
            column = "id_number" if identity[0] == "id" else "name"
            result.errors.append(
                RowError(
                    row.number,
                    COLUMNS_BY_KEY[column].header,
                    _("The same child as row %(row)d: each child appears once.")
                    % {"row": seen[identity]},
                )
            )
        else:
            seen[identity] = row.number
