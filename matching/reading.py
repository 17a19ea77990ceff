"""Reading a department list: Excel or CSV (UTF-8 with or without BOM, GB18030), the header
row mapped to a source's fields, every row checked, ID numbers reduced to hash and mask.

Nothing here writes: `read_list` returns the rows and every bad row and cell (RowError)."""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from children import crypto, idnumber
from core.spreadsheets import CellError, RowError, SheetError, cell_date, cell_text, fold, open_rows
from matching.sources import ADDRESS, BIRTH, ID, NAME, REPORTED, STATUS, VILLAGE, Source
from org.models import Region

MAX_ROWS = 200_000


def legacy_to_18(number: str) -> str | None:
    """A 15-digit first-generation ID (GB 11643-1989: area, YYMMDD, sequence) as its 18-digit
    form (GB 11643-1999: the century 19 inserted, the check character added); None when it
    is not 15 digits."""
    if len(number) != 15 or not number.isdigit():
        return None
    first17 = number[:6] + "19" + number[6:]
    return first17 + idnumber.check_character(first17)


def file_hash(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SheetError(
            _("The CSV file is neither UTF-8 nor GB18030: save it again as CSV (UTF-8)."),
            code="unreadable",
        ) from exc


def table_rows(stream: IO[bytes], name: str) -> Iterator[tuple[Any, ...]]:
    """The rows of an .xlsx or .csv upload as tuples of cell values."""
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(b"PK") or name.lower().endswith(".xlsx"):
        yield from open_rows(stream)
        return
    text = _decode(stream.read())
    dialect: Any = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    yield from (tuple(row) for row in csv.reader(io.StringIO(text), dialect))


def header_row(stream: IO[bytes], name: str) -> list[str]:
    """The texts of the file's first row, blanks left out."""
    header = next(table_rows(stream, name), ())
    return [text for text in (cell_text(h) for h in header) if text]


@dataclass(slots=True)
class Row:
    number: int
    name: str
    id_hash: str | None = None
    id_masked: str = ""
    birth_date: datetime.date | None = None
    village_id: int | None = None
    address: str = ""
    status: str = ""
    detail: str = ""
    name_pinyin: str = ""
    reported_on: datetime.date | None = None


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    row_count: int = 0


def map_headers(
    header: tuple[Any, ...], source: Source, saved: dict[str, str]
) -> tuple[dict[str, int], dict[str, str]]:
    """{field key: column index} and {field key: header} from the saved mapping, else the
    usual headers of the field."""
    folded = {fold(cell_text(h)): i for i, h in enumerate(header) if cell_text(h)}
    positions: dict[str, int] = {}
    names: dict[str, str] = {}
    for spec in source.fields():
        candidates = ([saved[spec.key]] if spec.key in saved else []) + list(spec.headers)
        for candidate in candidates:
            index = folded.get(fold(candidate))
            if index is not None:
                positions[spec.key] = index
                names[spec.key] = cell_text(header[index])
                break
    return positions, names


_VILLAGE_SUFFIXES = ("居民委员会", "村民委员会", "委员会")


def village_keys(name: str) -> list[str]:
    """The ways a list names a village: 志达社区居民委员会, 志达社区; 新村村民委员会, 新村村."""
    keys = [name]
    for suffix in _VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            short = name[: -len(suffix)]
            keys.append(short)
            if suffix == "村民委员会" and not short.endswith("村"):
                keys.append(short + "村")
            break
    return keys


def _villages(district: Region) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """The district's villages by code and by name (names longest first, for addresses)."""
    rows = list(
        Region.objects.filter(level="village", code__startswith=district.prefix).values_list(
            "code", "name", "id"
        )
    )
    by_key = {code: pk for code, _n, pk in rows}
    names = [(key, pk) for _c, name, pk in rows for key in village_keys(name)]
    names.sort(key=lambda x: -len(x[0]))
    by_key.update(dict(names))
    return by_key, names


def read_list(
    stream: IO[bytes],
    name: str,
    *,
    source: Source,
    district: Region,
    saved: dict[str, str],
    today: datetime.date,
) -> Parsed:
    """Every row of the upload checked against the source's fields."""
    parsed = Parsed()
    rows = table_rows(stream, name)
    header = next(rows, None)
    if header is None:
        parsed.errors.append(RowError(0, "", _("The file is empty.")))
        return parsed
    positions, parsed.headers = map_headers(header, source, saved)
    missing = [str(f.label) for f in source.fields() if f.required and f.key not in positions]
    if ID.key not in positions and NAME.key not in positions:
        missing.append(str(ID.label))
    if missing:
        parsed.errors.append(
            RowError(
                0,
                "",
                _("Columns not found: %(names)s. Map them to the file's headers.")
                % {"names": "、".join(missing)},
            )
        )
        return parsed
    by_key, village_names = _villages(district)
    for number, values in enumerate(rows, start=2):
        if not any(cell_text(v) for v in values):
            continue
        parsed.row_count += 1
        if parsed.row_count > MAX_ROWS:
            parsed.errors.append(
                RowError(0, "", _("At most %(n)d rows in one list.") % {"n": MAX_ROWS})
            )
            return parsed
        row = _read_row(number, values, positions, parsed, source, by_key, village_names, today)
        if row is not None:
            parsed.rows.append(row)
    return parsed


def _cell(values: tuple[Any, ...], positions: dict[str, int], key: str) -> Any:
    index = positions.get(key)
    return values[index] if index is not None and index < len(values) else None


def _read_row(
    number: int,
    values: tuple[Any, ...],
    positions: dict[str, int],
    parsed: Parsed,
    source: Source,
    by_key: dict[str, int],
    village_names: list[tuple[str, int]],
    today: datetime.date,
) -> Row | None:
    headers = parsed.headers
    bad = len(parsed.errors)
    name = cell_text(_cell(values, positions, NAME.key))[:50]
    row = Row(number=number, name=name)
    raw_id = idnumber.normalize(cell_text(_cell(values, positions, ID.key)))
    id_birth: datetime.date | None = None
    if raw_id:
        number18 = legacy_to_18(raw_id) or raw_id
        try:
            facts = idnumber.parse(number18, today)
        except ValidationError as exc:
            # Not an error: the row is matched on name, birth date and village instead.
            parsed.warnings.append(RowError(number, headers.get(ID.key, ""), exc.messages[0]))
            if len(raw_id) == 15 and raw_id.isdigit():
                id_birth = _legacy_birth(raw_id)
        else:
            row.id_hash = crypto.lookup_hash(facts.number)
            row.id_masked = idnumber.mask(facts.number)
            id_birth = facts.birth_date
    try:
        row.birth_date = cell_date(_cell(values, positions, BIRTH.key)) or id_birth
    except CellError as exc:
        parsed.errors.append(RowError(number, headers.get(BIRTH.key, ""), str(exc)))
    if not row.id_hash and not name:
        parsed.errors.append(
            RowError(number, headers.get(NAME.key, ""), _("Give the name or the ID number."))
        )
    row.address = cell_text(_cell(values, positions, ADDRESS.key))[:200]
    village = cell_text(_cell(values, positions, VILLAGE.key))
    if village:
        row.village_id = by_key.get(village)
        if row.village_id is None:
            parsed.errors.append(
                RowError(
                    number,
                    headers.get(VILLAGE.key, ""),
                    _("No village or community of this name in the district."),
                )
            )
    elif row.address:
        row.village_id = next((pk for vname, pk in village_names if vname in row.address), None)
    if STATUS in positions or source.status_headers:
        text = cell_text(_cell(values, positions, STATUS))
        status = source.status_of(text)
        if status is None:
            words = "、".join(dict.fromkeys(w for w, _v in source.status_words))
            parsed.errors.append(
                RowError(
                    number,
                    headers.get(STATUS, ""),
                    _("Not understood: write one of %(words)s.") % {"words": words},
                )
            )
        else:
            row.status = status
    else:
        row.status = source.status_default
    row.detail = cell_text(_cell(values, positions, "detail"))[:200]
    if source.dated:
        try:
            row.reported_on = cell_date(_cell(values, positions, REPORTED.key)) or today
        except CellError as exc:
            parsed.errors.append(RowError(number, headers.get(REPORTED.key, ""), str(exc)))
        else:
            if row.reported_on > today:
                parsed.errors.append(
                    RowError(
                        number,
                        headers.get(REPORTED.key, ""),
                        _("This date cannot be in the future."),
                    )
                )
    # The pinyin is compared only for rows matched by name (no usable ID).
    row.name_pinyin = _pinyin(name) if name and not row.id_hash else ""
    return row if len(parsed.errors) == bad else None


@lru_cache(maxsize=100_000)
def _pinyin(name: str) -> str:
    """The full pinyin as children.registration.pinyin_keys stores it (name_pinyin)."""
    return "".join(syllable.lower() for syllable in lazy_pinyin(name, errors="ignore"))[:200]


def _legacy_birth(number: str) -> datetime.date | None:
    try:
        return datetime.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return None
