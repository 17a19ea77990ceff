"""Import a region tree from CSV (code,name[,level]): all rows or none."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from core.regions import LEVEL_ORDER, Level, code_errors, infer_level, parent_code
from org.models import Region

LEVEL_ALIASES = {
    # Accept the Chinese level names a user may type into a spreadsheet.
    "省": Level.PROVINCE,
    "市": Level.CITY,
    "区县": Level.DISTRICT,
    "县": Level.DISTRICT,
    "区": Level.DISTRICT,
    "乡镇": Level.TOWN,
    "街道": Level.TOWN,
    "乡镇街道": Level.TOWN,
    "村": Level.VILLAGE,
    "社区": Level.VILLAGE,
    "村社区": Level.VILLAGE,
}


@dataclass
class RowError:
    row: int  # 1-based line number in the file, the header being line 1
    code: str
    reason: str

    def __str__(self) -> str:
        return _("Row %(row)d (%(code)s): %(reason)s") % {
            "row": self.row,
            "code": self.code or "-",
            "reason": self.reason,
        }


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    code: str
    name: str
    level: str


def _read(text: str) -> tuple[list[_Row], list[RowError]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[_Row] = []
    errors: list[RowError] = []
    header = next(reader, None)
    if header is None:
        return rows, [RowError(1, "", _("The file is empty."))]
    columns = [h.strip().lower() for h in header]
    if columns[:2] != ["code", "name"] or (len(columns) > 2 and columns[2] not in ("level", "")):
        return rows, [RowError(1, "", _("The header must be code,name or code,name,level."))]
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        code = record[0].strip() if record else ""
        name = record[1].strip() if len(record) > 1 else ""
        raw_level = record[2].strip() if len(record) > 2 else ""
        if len(record) > 3:
            errors.append(RowError(line, code, _("Too many columns.")))
            continue
        if not name:
            errors.append(RowError(line, code, _("The name is empty.")))
            continue
        level = LEVEL_ALIASES.get(raw_level, raw_level.lower())
        if not level:
            shape = (
                code_errors(code, Level.VILLAGE)[:1]
                if len(code) != 12 or not code.isdigit()
                else []
            )
            if shape:
                errors.append(RowError(line, code, shape[0]))
                continue
            level = infer_level(code)
        elif level not in LEVEL_ORDER:
            errors.append(
                RowError(line, code, _("Unknown level “%(level)s”.") % {"level": raw_level})
            )
            continue
        rows.append(_Row(line, code, name, level))
    return rows, errors


def import_regions(text: str, *, dry_run: bool = False) -> ImportResult:
    """Validate every row, then write all of them in one transaction, or none."""
    rows, errors = _read(text)
    result = ImportResult(errors=errors)
    seen: dict[str, int] = {}
    for row in rows:
        if row.code in seen:
            result.errors.append(
                RowError(
                    row.line, row.code, _("Duplicate of row %(row)d.") % {"row": seen[row.code]}
                )
            )
        else:
            seen[row.code] = row.line
    in_file = {row.code: row for row in rows}
    existing = {
        r.code: r
        for r in Region.objects.filter(
            code__in=[
                *in_file,
                *filter(None, (parent_code(r.code, r.level) for r in rows if len(r.code) == 12)),
            ]
        )
    }
    for row in rows:
        wanted_parent = parent_code(row.code, row.level) if len(row.code) == 12 else None
        problems = code_errors(row.code, row.level, wanted_parent)
        if not problems and wanted_parent is not None:
            parent_row = in_file.get(wanted_parent)
            parent_db = existing.get(wanted_parent)
            parent_level = (
                parent_row.level if parent_row else (parent_db.level if parent_db else None)
            )
            if parent_level is None:
                problems.append(
                    _("Its parent region %(code)s is neither in the file nor in the database.")
                    % {"code": wanted_parent}
                )
            elif LEVEL_ORDER.index(parent_level) != LEVEL_ORDER.index(row.level) - 1:
                problems.append(
                    _("Its parent %(code)s is a %(level)s, not one level above.")
                    % {"code": wanted_parent, "level": Level(parent_level).label}
                )
        current = existing.get(row.code)
        if current is not None and current.level != row.level and not problems:
            problems.append(
                _("The region exists as a %(level)s; a level cannot be changed by import.")
                % {"level": Level(current.level).label}
            )
        result.errors.extend(RowError(row.line, row.code, p) for p in problems)
    result.errors.sort(key=lambda e: e.row)
    if result.errors:
        return result

    with transaction.atomic():
        for level in LEVEL_ORDER:  # parents before children
            level_rows = [r for r in rows if r.level == level]
            if not level_rows:
                continue
            parents = {
                r.code: r
                for r in Region.objects.filter(
                    code__in={parent_code(r.code, r.level) for r in level_rows} - {None}
                )
            }
            to_create: list[Region] = []
            to_update: list[Region] = []
            for row in level_rows:
                parent = parents.get(parent_code(row.code, row.level) or "")
                current = existing.get(row.code)
                if current is None:
                    to_create.append(
                        Region(code=row.code, name=row.name, level=row.level, parent=parent)
                    )
                elif current.name != row.name or current.parent_id != (
                    parent.pk if parent else None
                ):
                    current.name = row.name
                    current.parent = parent
                    to_update.append(current)
                else:
                    result.unchanged += 1
            Region.objects.bulk_create(to_create, batch_size=1000)
            Region.objects.bulk_update(to_update, ["name", "parent"], batch_size=1000)
            result.created += len(to_create)
            result.updated += len(to_update)
        if dry_run:
            transaction.set_rollback(True)
    return result


def import_regions_file(path: Path, *, dry_run: bool = False) -> ImportResult:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        try:
            text = path.read_text(encoding="gb18030")
        except UnicodeDecodeError:
            return ImportResult(
                errors=[RowError(0, "", _("The file is neither UTF-8 nor GB18030 text."))]
            )
    return import_regions(text, dry_run=dry_run)
