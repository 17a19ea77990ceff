"""Child rosters as spreadsheets: the import template, the import itself and the export.

The columns follow the national screening form 农村留守儿童基本情况登记表 (2016). They are
defined once, in `COLUMNS`, and the template, the importer and both exports use that list, so an
exported .xlsx (with full ID numbers) imports again unchanged.

Headers and cell values are a file format, not interface text: headers are the Chinese
constants below, and values are the Chinese labels of the choices (the zh-hans translations).
The importer also accepts the stored codes and the English labels.

Importing is two steps with the same code path: a dry run (every row through
`services.save_child` inside a transaction that is rolled back) lists every bad row and what
would change; the commit repeats it and keeps the result only when no row fails.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from children import crypto, idnumber
from children.choices import (
    ETHNICITIES,
    ETHNICITY_BY_NAME,
    ETHNICITY_NAMES,
    CarerCapacity,
    Category,
    DisabilityGrade,
    DisabilityType,
    Gender,
    GuardianshipQuality,
    GuardianType,
    Health,
    ParentRelation,
    ParentStatus,
    Schooling,
    Status,
)
from children.family import PARENT_FIELDS
from children.models import Child, Parent
from children.registration import CHILD_FIELDS, ChildInput, child_save
from core import permissions
from org.models import Region, User

# --- The columns ----------------------------------------------------------------------------

YES = "是"
NO = "否"
LIST_SEPARATOR = "、"
MAX_ROWS = 10000
ROSTER_SHEET = "儿童名册"
NOTES_SHEET = "填写说明"

TEXT = "text"
CHOICE = "choice"
MULTI = "multi"
BOOL = "bool"
DATE = "date"
ID = "id"
VILLAGE = "village"
ETHNICITY = "ethnicity"


_RELATIONS = frozenset(ParentRelation.values)


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header: part of the file format
    key: str  # the child field, "categories", "village", or "<relation>_<parent field>"
    kind: str = TEXT
    choices: type[models.TextChoices] | None = None
    required: bool = False  # the column must be in the file and (mostly) filled in
    as_text: bool = False  # formatted as text in workbooks (identity numbers, phones, codes)
    width: int = 12
    note: str = ""  # shown on the instructions sheet

    @cached_property
    def relation(self) -> str:
        """The parent relation of a parent column ("father", "mother"), "" otherwise."""
        head, _sep, _rest = self.key.partition("_")
        return head if head in _RELATIONS else ""

    @cached_property
    def attr(self) -> str:
        """The model attribute: the key without the parent relation."""
        return self.key.split("_", 1)[1] if self.relation else self.key

    @property
    def max_length(self) -> int | None:
        model: type[models.Model] = Parent if self.relation else Child
        try:
            model_field = model._meta.get_field(self.attr)
        except FieldDoesNotExist:  # id_number, categories, village
            return None
        return getattr(model_field, "max_length", None) if self.kind == TEXT else None


def _parent_columns(relation: str, label: str) -> list[Column]:
    return [
        Column(f"{label}姓名", f"{relation}_name", width=10),
        Column(f"{label}身份证号", f"{relation}_id_number", ID, as_text=True, width=21,
               note="18位，单元格格式须为文本；末位可为X"),
        Column(f"{label}状况", f"{relation}_status", CHOICE, ParentStatus, width=12),
        Column(f"{label}务工省份", f"{relation}_work_province", width=10),
        Column(f"{label}务工城市", f"{relation}_work_city", width=10),
        Column(f"{label}联系电话", f"{relation}_phone", as_text=True, width=14,
               note="11位手机号码或固定电话（如023-68861234）"),
    ]  # fmt: skip


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", required=True, width=10),
    Column("性别", "gender", CHOICE, Gender, required=True, width=6,
           note="可留空，按身份证号码填入"),
    Column("民族", "ethnicity", ETHNICITY, width=8, note="留空为汉族"),
    Column("公民身份号码", "id_number", ID, required=True, as_text=True, width=21,
           note="18位，单元格格式须为文本；末位可为X。按此号码匹配已建档儿童：已有则更新，没有则新建。"
                "户籍未登记的儿童可留空，按姓名、出生日期和所在村匹配"),
    Column("出生日期", "birth_date", DATE, required=True, width=12,
           note="如 2015-03-08；可留空，按身份证号码填入"),
    Column("户籍所在地", "hukou_address", required=True, width=24),
    Column("户籍是否登记(是/否)", "hukou_registered", BOOL, width=10, note="留空为是"),
    Column("现住址", "address", required=True, width=28),
    Column("所在村（社区）区划代码", "village", VILLAGE, required=True, as_text=True, width=15,
           note="12位统计用区划代码，须为本人负责的村（社区）"),
    Column("儿童类别", "categories", MULTI, Category, width=20,
           note="可填多个，用“、”或“,”分隔"),
    *_parent_columns(ParentRelation.FATHER, "父亲"),
    *_parent_columns(ParentRelation.MOTHER, "母亲"),
    Column("监护类型", "guardian_type", CHOICE, GuardianType, required=True, width=14),
    Column("受委托监护人姓名", "carer_name", width=10),
    Column("与儿童关系", "carer_relation", width=8),
    Column("监护人联系电话", "carer_phone", as_text=True, width=14),
    Column("监护人能力", "carer_capacity", CHOICE, CarerCapacity, width=10),
    Column("委托监护确认书签订日期", "entrustment_signed_on", DATE, width=12, note="如 2026-02-01"),
    Column("监护状况", "guardianship_quality", CHOICE, GuardianshipQuality, required=True,
           width=10),
    Column("就学状况", "schooling", CHOICE, Schooling, required=True, width=12),
    Column("学校名称", "school_name", width=18),
    Column("年级", "grade", width=8),
    Column("是否寄宿", "boarding", BOOL, width=8, note="留空为否"),
    Column("健康状况", "health", CHOICE, Health, width=10, note="留空为健康"),
    Column("残疾类型", "disability_type", CHOICE, DisabilityType, width=10),
    Column("残疾等级", "disability_grade", CHOICE, DisabilityGrade, width=8),
    Column("疾病名称", "illness", width=12),
    Column("心理行为问题(是/否)", "psychological_concern", BOOL, width=10, note="留空为否"),
)  # fmt: skip
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
# Columns only the export writes; the importer ignores them.
STATUS_HEADER = "状态"
KEY_CHILD_HEADER = "重点儿童"
UPDATED_HEADER = "更新时间"
EXPORT_ONLY_HEADERS = (STATUS_HEADER, KEY_CHILD_HEADER, UPDATED_HEADER)
EXPORT_HEADERS = tuple(c.header for c in COLUMNS) + EXPORT_ONLY_HEADERS
# Errors save_child reports on fields without a column of their own.
_ERROR_COLUMN_ALIASES = {
    "father_missing_since": "father_status",
    "mother_missing_since": "mother_status",
    "carer_id_number": "carer_name",
}
# Defaults of a new child for the columns a file leaves out (or leaves blank).
NEW_CHILD_DEFAULTS: dict[str, Any] = {
    "ethnicity": "01",
    "birth_date": None,
    "hukou_registered": True,
    "entrustment_signed_on": None,
    "boarding": False,
    "health": Health.HEALTHY.value,
    "psychological_concern": False,
}
BOOL_DEFAULTS = {"hukou_registered": True, "boarding": False, "psychological_concern": False}


def _normalize_header(value: Any) -> str:
    text = re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")")
    text = text.rstrip("*")
    return re.sub(r"\((是/否|是或否)\)$", "", text)


_HEADER_KEYS = {_normalize_header(c.header): c.key for c in COLUMNS}
_EXPORT_ONLY = {_normalize_header(h) for h in EXPORT_ONLY_HEADERS}


def _norm(value: str) -> str:
    return re.sub(r"\s+", "", value).replace("（", "(").replace("）", ")").casefold()


def zh_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Code -> the label written in files (the zh-hans translation)."""
    with override("zh-hans"):
        return {str(code): str(label) for code, label in choices.choices}


def label_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Normalised code, Chinese label or English label -> code."""
    lookup: dict[str, str] = {}
    for language in ("zh-hans", "en"):
        with override(language):
            for code, label in choices.choices:
                lookup.setdefault(_norm(str(label)), str(code))
    for code in choices.values:
        lookup[_norm(str(code))] = str(code)
    return lookup


# --- Reading cells ---------------------------------------------------------------------------


class CellError(Exception):
    """A cell value that cannot be used; the message names what to write instead."""


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _id_text(value: Any) -> str:
    """An identity number cell as text. A number cell has lost digits already (Excel keeps 15
    significant digits): write it the way Excel shows it, which `idnumber.parse` refuses with
    the advice to format the column as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        mantissa, exponent = f"{float(value):.14E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E+{int(exponent)}"
    return idnumber.normalize(_cell_text(value))


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def _date(value: Any) -> datetime.date | None:
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
    text = _cell_text(value).split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a plain date
        except ValueError:
            continue
    raise CellError(_("Not a date: write it as 2015-03-08."))


def _bool(value: Any) -> bool | None:
    text = _norm(_cell_text(value))
    if not text:
        return None
    if text in {YES, "y", "yes", "true", "1", "有"}:
        return True
    if text in {NO, "n", "no", "false", "0", "无"}:
        return False
    raise CellError(_("Write %(yes)s or %(no)s.") % {"yes": YES, "no": NO})


def _ethnicity(value: Any) -> str:
    text = _cell_text(value)
    if not text:
        return ""
    if text.isdigit() and text.zfill(2) in ETHNICITY_NAMES:
        return text.zfill(2)
    code = ETHNICITY_BY_NAME.get(text) or ETHNICITY_BY_NAME.get(f"{text}族")
    if code is None:
        raise CellError(_("Not an ethnic group of the national list, such as 汉族 or 土家族."))
    return code


class _Lookups:
    """Label maps for one parse (translations are read once, not per cell)."""

    def __init__(self) -> None:
        self.maps = {c.choices: label_lookup(c.choices) for c in COLUMNS if c.choices is not None}

    def choice(self, column: Column, value: Any) -> str:
        text = _cell_text(value)
        if not text:
            return ""
        code = self.maps[column.choices].get(_norm(text)) if column.choices else None
        if code is None:
            raise CellError(_allowed_message(column))
        return code

    def multi(self, column: Column, value: Any) -> list[str]:
        codes: list[str] = []
        for part in re.split(r"[、,，;；]", _cell_text(value)):
            if part.strip():
                code = self.choice(column, part.strip())
                if code not in codes:
                    codes.append(code)
        return codes


def _allowed_message(column: Column) -> str:
    allowed = _allowed_values(column)
    return _("Not one of the allowed values: %(values)s.") % {"values": allowed}


# --- Parsing a workbook ----------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number; 0 for the file as a whole
    column: str  # the column header, "" for the row as a whole
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


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


class RosterFileError(ValidationError):
    """The upload is not a workbook that can be read at all."""


def _open_rows(file: Any) -> Generator[tuple[Any, ...], None, None]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise RosterFileError(
            _("The file cannot be read as an Excel workbook (.xlsx)."), code="unreadable"
        ) from exc
    try:
        if not workbook.worksheets:
            raise RosterFileError(_("The workbook has no sheet."), code="unreadable")
        sheet = (
            workbook[ROSTER_SHEET]
            if ROSTER_SHEET in workbook.sheetnames
            else workbook.worksheets[0]
        )
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _find_header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, tuple[Any, ...]] | None:
    """The header row: the first of the first ten rows naming the 姓名 column, else the first
    non-empty row (so missing columns are named)."""
    first: tuple[int, tuple[Any, ...]] | None = None
    name_header = _normalize_header(COLUMNS_BY_KEY["name"].header)
    for number, row in enumerate(rows, start=1):
        if any(cell not in (None, "") for cell in row):
            if first is None:
                first = (number, row)
            if name_header in {_normalize_header(cell) for cell in row}:
                return number, row
        if number >= 10:
            break
    return first


def parse_workbook(file: Any, user: User, today: datetime.date) -> RosterParse:
    """Read and check a roster workbook: every cell's value, required columns and values,
    identity numbers, duplicates within the file and villages in `user`'s scope. Rules that
    need the archive (duplicates elsewhere, cross-checks) are left to `apply_roster`.
    `file` is a binary file object (an upload, or the stored file)."""
    result = RosterParse()
    rows = _open_rows(file)
    try:
        found = _find_header(rows)
        if found is None:
            result.errors.append(RowError(0, "", _("The sheet is empty.")))
            return result
        header_number, header = found
        positions: dict[str, int] = {}
        for index, cell in enumerate(header):
            name = _normalize_header(cell)
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
        lookups = _Lookups()
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
    lookups: _Lookups,
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


def _parse_cell(column: Column, raw: Any, lookups: _Lookups) -> Any:
    if column.kind == ID:
        return _id_text(raw)
    if column.kind == DATE:
        return _date(raw)
    if column.kind == BOOL:
        return _bool(raw)
    if column.kind == CHOICE:
        return lookups.choice(column, raw)
    if column.kind == MULTI:
        return lookups.multi(column, raw)
    if column.kind == ETHNICITY:
        return _ethnicity(raw)
    if column.kind == VILLAGE:
        text = _cell_text(raw)
        if text and not re.fullmatch(r"\d{12}", text):
            raise CellError(_("A village code has 12 digits."))
        return text
    return _cell_text(raw)


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


# --- Applying a parsed roster ----------------------------------------------------------------


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


def _parent_values(parent: Parent | None) -> dict[str, Any]:
    """A parent as services.save_child compares it (the same keys and empty values)."""
    if parent is None:
        return {k: (None if k == "missing_since" else "") for k in PARENT_FIELDS}
    values = {k: getattr(parent, k) for k in PARENT_FIELDS if k != "id_number"}
    values["id_number"] = parent.id_number
    return values


def _existing_children(rows: list[RosterRow], user: User) -> dict[str, Child]:
    """Children matched by ID number among those `user` may see, by lookup hash. One out of
    scope is not matched: save_child then refuses the duplicate without revealing it."""
    hashes = [crypto.lookup_hash(row.id_number) for row in rows if row.id_number]
    found: dict[str, Child] = {}
    for start in range(0, len(hashes), 500):
        queryset = (
            Child.objects.visible_to(user)
            .filter(id_hash__in=hashes[start : start + 500])
            .select_related("village")
            .prefetch_related("categories", "parents")
        )
        found.update({child.id_hash: child for child in queryset if child.id_hash})
    return found


class _Ambiguous(Exception):
    pass


def _match_without_id(row: RosterRow, user: User) -> Child | None:
    """A child without an ID number (unregistered household): the one with the same name,
    date of birth and village among those `user` may see. More than one is ambiguous."""
    if row.village is None or not row.values.get("birth_date"):
        return None
    matches = list(
        Child.objects.visible_to(user)
        .filter(
            id_hash__isnull=True,
            name=row.values.get("name", ""),
            birth_date=row.values["birth_date"],
            village=row.village,
        )
        .prefetch_related("categories", "parents")[:2]
    )
    if len(matches) > 1:
        raise _Ambiguous
    return matches[0] if matches else None


def _child_input(
    row: RosterRow, instance: Child | None, keys: frozenset[str], errors: list[RowError]
) -> ChildInput | None:
    """The row over the child's current values (an update) or the defaults (a new child):
    columns not in the file keep what is stored."""
    if instance is not None:
        fields = {key: getattr(instance, key) for key in CHILD_FIELDS}
        categories = [tag.code for tag in instance.categories.all()]
        current_parents = {parent.relation: parent for parent in instance.parents.all()}
        carer_id = instance.carer_id
        village: Region | None = instance.village
    else:
        fields = {key: NEW_CHILD_DEFAULTS.get(key, "") for key in CHILD_FIELDS}
        categories, current_parents, carer_id, village = [], {}, "", None
    for key, value in row.values.items():
        if key in fields:
            if value is None and key in BOOL_DEFAULTS:
                value = BOOL_DEFAULTS[key]
            elif key == "ethnicity" and not value:
                value = "01"
            elif key == "health" and not value:
                value = Health.HEALTHY.value
            fields[key] = value
    if "categories" in row.values:
        categories = row.values["categories"]
    if row.village is not None:
        village = row.village
    if village is None:
        return None

    parents: dict[str, dict[str, Any]] = {}
    for relation in ParentRelation.values:
        given = {
            c.attr: row.values[c.key] for c in COLUMNS if c.relation == relation and c.key in keys
        }
        if not any(given.values()):
            continue  # nothing about this parent in the file: what is stored stays
        current = current_parents.get(relation)
        values = _parent_values(current)
        masked = given.get("id_number", "")
        if "*" in masked:
            if current is not None and current.id_masked == masked:
                given["id_number"] = values["id_number"]  # the stored number, unchanged
            else:
                errors.append(
                    RowError(
                        row.number,
                        COLUMNS_BY_KEY[f"{relation}_id_number"].header,
                        _("The ID number is masked. Enter the full number or leave it empty."),
                    )
                )
                return None
        values.update(given)
        parents[relation] = values
    return ChildInput(
        village=village,
        fields=fields,
        id_number=row.id_number,
        carer_id_number=carer_id,
        categories=categories,
        parents=parents,
    )


def _service_errors(number: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(number, "", message) for message in exc.messages]
    found = []
    for key, messages in exc.message_dict.items():
        column = COLUMNS_BY_KEY.get(_ERROR_COLUMN_ALIASES.get(key, key))
        header = column.header if column else ""
        found += [RowError(number, header, message) for message in messages]
    return found


def apply_roster(
    parsed: RosterParse, *, by: User, today: datetime.date, commit: bool
) -> RosterResult:
    """Run every good row through save_child in one transaction. A dry run (commit False)
    always rolls back; a commit keeps the result only when no row fails (nothing is
    half-imported). Rows already failing the parse are not tried."""
    result = RosterResult(errors=list(parsed.errors), warnings=list(parsed.warnings))
    if commit and parsed.errors:
        return result
    failed_rows = {error.row for error in parsed.errors}
    rows = [row for row in parsed.rows if row.number not in failed_rows]
    try:
        with transaction.atomic():
            existing = _existing_children(rows, by)
            for row in rows:
                if row.id_number:
                    instance = existing.get(crypto.lookup_hash(row.id_number))
                else:
                    try:
                        instance = _match_without_id(row, by)
                    except _Ambiguous:
                        result.errors.append(
                            RowError(
                                row.number,
                                COLUMNS_BY_KEY["id_number"].header,
                                _(
                                    "Several children without an ID number have this name, "
                                    "date of birth and village: update them on their archive "
                                    "pages, or give the ID number."
                                ),
                            )
                        )
                        continue
                data = _child_input(row, instance, parsed.keys, result.errors)
                if data is None:
                    continue
                try:
                    with transaction.atomic():
                        saved = child_save(by=by, data=data, instance=instance, today=today)
                except ValidationError as exc:
                    result.errors += _service_errors(row.number, exc)
                    continue
                except IntegrityError:
                    result.errors.append(
                        RowError(row.number, "", _("This row clashes with another archive."))
                    )
                    continue
                if saved.created:
                    result.created += 1
                elif saved.changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
                result.warnings += [RowError(row.number, "", w) for w in saved.warnings]
            if not commit or result.errors:
                raise _Rollback
            result.committed = True
    except _Rollback:
        pass
    result.errors.sort(key=lambda e: (e.row, _column_position(e.column)))
    result.warnings.sort(key=lambda e: (e.row, _column_position(e.column)))
    return result


def _column_position(header: str) -> int:
    for index, column in enumerate(COLUMNS):
        if column.header == header:
            return index
    return -1


# --- Writing: the template and the exports ---------------------------------------------------


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

    def row(self, child: Child) -> list[Any]:
        parents = {parent.relation: parent for parent in child.parents.all()}
        values: list[Any] = []
        for column in COLUMNS:
            owner: Any = parents.get(column.relation) if column.relation else child
            if column.key == "village":
                value: Any = child.village.code
            elif column.key == "categories":
                labels = self.labels[Category]
                codes = {tag.code for tag in child.categories.all()}
                value = LIST_SEPARATOR.join(labels[c] for c in Category.values if c in codes)
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
        updated = timezone.localtime(child.updated_at).strftime("%Y-%m-%d %H:%M")
        values += [self.status_labels.get(child.status, child.status),
                   YES if child.is_key else NO, updated]  # fmt: skip
        return values


def rows_for_export(children: Iterable[Child], full_ids: bool) -> Iterator[list[Any]]:
    writer = Writer(full_ids)
    for child in children:
        yield writer.row(child)


def _allowed_values(column: Column) -> str:
    if column.choices is not None:
        return LIST_SEPARATOR.join(zh_labels(column.choices).values())
    if column.kind == BOOL:
        return f"{YES}{LIST_SEPARATOR}{NO}"
    if column.kind == ETHNICITY:
        return LIST_SEPARATOR.join(name for _code, name in ETHNICITIES)
    return ""


def write_template(file: IO[bytes]) -> None:
    """The import template: the roster sheet (identity numbers, phones and codes formatted as
    text, drop-down lists where they fit) and the instructions sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.create_sheet(ROSTER_SHEET, 0)
    for extra in workbook.worksheets[1:]:
        workbook.remove(extra)
    sheet.append([c.header for c in COLUMNS])
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    last_row = 1000
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index)
        head.font = bold
        head.alignment = Alignment(wrap_text=True, vertical="center")
        if column.required:
            head.fill = required_fill
        sheet.column_dimensions[letter].width = column.width
        if column.as_text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, last_row + 1):
                sheet.cell(row=row, column=index).number_format = "@"
        elif column.kind == DATE:
            for row in range(2, last_row + 1):
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
        allowed = _allowed_values(column).split(LIST_SEPARATOR)
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
    notes.append(["列名", "是否必填", "可填的值", "说明"])
    for cell in notes[1]:
        cell.font = bold
    for column in COLUMNS:
        notes.append(
            [column.header, YES if column.required else "", _allowed_values(column), column.note]
        )
    notes.append([])
    notes.append(["一行一名儿童；同一儿童（同一身份证号码）只能出现一次。"])
    notes.append(["身份证号码列须设为文本格式，否则会被存为数字而丢失末几位。"])
    notes.append(["导入前系统会先检查全部行并列出问题；全部无误才会一次性导入。"])
    for letter, width in zip("ABCD", (24, 10, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(file)


def write_xlsx(rows: Iterable[list[Any]], file: IO[bytes]) -> int:
    """An export workbook written in constant memory; returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ROSTER_SHEET)
    widths = [c.width for c in COLUMNS] + [8, 8, 16]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for title in EXPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    text_columns = {i for i, c in enumerate(COLUMNS) if c.as_text}
    date_columns = {i for i, c in enumerate(COLUMNS) if c.kind == DATE}
    count = 0
    for values in rows:
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            if index in text_columns:
                cell.number_format = "@"
            elif index in date_columns and value:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(file)
    return count


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell for CSV: dates as 2015-03-08, and text that a spreadsheet would run as a formula
    prefixed with an apostrophe."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
