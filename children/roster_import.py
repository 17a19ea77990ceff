"""Importing a child roster: the dry run and the commit, with the same code path.

The dry run runs every row through `registration.child_save` inside a transaction that is rolled
back (`core.spreadsheets.all_or_nothing(commit=False)`): the one exception to "writes at entry
points are kept in one transaction", so that the report lists every bad row and what would
change exactly as the commit would find them. The commit repeats it on the kept file and keeps
the result only when no row fails: nothing is half-imported.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from children import crypto, duplicates, household
from children.choices import Health, ParentRelation
from children.fields import CHILD_FIELDS, PARENT_FIELDS
from children.models import Child, Parent
from children.models_roster import RosterImport, RosterImportStatus
from children.registration import ChildInput, child_check, child_save
from children.roster_columns import COLUMNS, COLUMNS_BY_KEY, column_position
from children.roster_reading import RosterParse, RosterRow, parse_workbook
from core import clock, permissions, storage
from core.spreadsheets import RowError, SheetError, all_or_nothing
from org.models import Region, User

# Errors child_save reports on fields without a column of their own.
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


def _parent_values(parent: Parent | None) -> dict[str, Any]:
    """A parent as registration.child_save compares it (the same keys and empty values)."""
    if parent is None:
        return {k: (None if k == "missing_since" else "") for k in PARENT_FIELDS}
    values = {k: getattr(parent, k) for k in PARENT_FIELDS if k != "id_number"}
    values["id_number"] = parent.id_number
    return values


def _existing_children(rows: list[RosterRow], user: User) -> dict[str, Child]:
    """Children matched by ID number among those `user` may see, by lookup hash. One out of
    scope is not matched: child_save then refuses the duplicate without revealing it."""
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
    # village None: the row's village cell is refused already (only a row being checked, not
    # saved, gets here without one; child_check names the village again, and that is dropped).

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
    """Run every good row through child_save in one transaction. A dry run (commit False)
    always rolls back; a commit keeps the result only when no row fails (nothing is
    half-imported). A dry run checks the rows already failing the parse too (child_check,
    nothing saved), so that the report names every bad cell of every row in one round: the
    service's errors on the cells the parse did not refuse."""
    result = RosterResult(errors=list(parsed.errors), warnings=list(parsed.warnings))
    if commit and parsed.errors:
        return result
    flagged: dict[int, set[str]] = {}
    for error in parsed.errors:
        flagged.setdefault(error.row, set()).add(error.column)
    with all_or_nothing(commit=commit, errors=result.errors) as run:
        existing = _existing_children(parsed.rows, by)
        likely = _likely_duplicates(
            [row for row in parsed.rows if row.number not in flagged], existing, by
        )
        for row in parsed.rows:
            if row.number in flagged:
                _check_row(row, parsed.keys, existing, flagged[row.number], by=by, today=today,
                           result=result)  # fmt: skip
            else:
                _import_row(
                    row, parsed.keys, existing, by=by, today=today, result=result, likely=likely
                )
    result.committed = run.committed
    result.errors.sort(key=lambda e: (e.row, column_position(e.column)))
    result.warnings.sort(key=lambda e: (e.row, column_position(e.column)))
    return result


def _match(row: RosterRow, existing: dict[str, Child], by: User) -> Child | None:
    """The archive the row updates (None: a new child); _Ambiguous when it cannot tell."""
    if row.id_number:
        return existing.get(crypto.lookup_hash(row.id_number))
    return _match_without_id(row, by)


def _ambiguous(row: RosterRow) -> RowError:
    return RowError(
        row.number,
        COLUMNS_BY_KEY["id_number"].header,
        _(
            "Several children without an ID number have this name, date of birth and "
            "village: update them on their archive pages, or give the ID number."
        ),
    )


def _check_row(
    row: RosterRow,
    keys: frozenset[str],
    existing: dict[str, Child],
    flagged: set[str],
    *,
    by: User,
    today: datetime.date,
    result: RosterResult,
) -> None:
    """A row the parse refused: the service's errors on its other cells, saving nothing."""
    try:
        instance = _match(row, existing, by)
    except _Ambiguous:
        if COLUMNS_BY_KEY["id_number"].header not in flagged:
            result.errors.append(_ambiguous(row))
        return
    data = _child_input(row, instance, keys, result.errors)
    if data is None:
        return
    try:
        child_check(by=by, data=data, instance=instance, today=today)
    except ValidationError as exc:
        result.errors += [e for e in _service_errors(row.number, exc) if e.column not in flagged]


def _likely_duplicates(
    rows: list[RosterRow], existing: dict[str, Child], by: User
) -> dict[int, list[duplicates.Candidate]]:
    """The likely duplicates (children.duplicates) of the rows that are not an archive
    matched by ID number, by row number: in a few queries for the whole file, before any
    row is saved (the archive as it is, not as the file changes it)."""
    maybe_new = [
        row
        for row in rows
        if not (row.id_number and crypto.lookup_hash(row.id_number) in existing)
        and row.values.get("name")
    ]
    drafts = [
        duplicates.draft(
            name=row.values.get("name") or "",
            birth_date=row.values.get("birth_date")
            or (row.facts.birth_date if row.facts else None),
            village_id=row.village.pk if row.village is not None else None,
            carer_name=row.values.get("carer_name") or "",
            phones=[
                row.values.get(k) or "" for k in ("carer_phone", "father_phone", "mother_phone")
            ],
            id_number=row.id_number,
        )
        for row in maybe_new
    ]
    found = duplicates.likely_duplicates_many(by, drafts) if drafts else []
    return {row.number: candidates for row, candidates in zip(maybe_new, found, strict=True)}


def _duplicate_warning(number: int, candidate: duplicates.Candidate) -> RowError:
    child = candidate.child
    return RowError(
        number,
        COLUMNS_BY_KEY["name"].header,
        _(
            "Possibly the same child as %(name)s (archive #%(pk)d, born %(date)s, "
            "%(village)s: %(reasons)s). Importing the row registers a second archive; "
            "check that archive first."
        )
        % {
            "name": child.name,
            "pk": child.pk,
            "date": child.birth_date.isoformat(),
            "village": child.village.name,
            "reasons": "、".join(candidate.reason_labels),
        },
    )


def _import_row(
    row: RosterRow,
    keys: frozenset[str],
    existing: dict[str, Child],
    *,
    by: User,
    today: datetime.date,
    result: RosterResult,
    likely: dict[int, list[duplicates.Candidate]] | None = None,
) -> None:
    """Match one row to a child and save it in a savepoint, counting it or reporting why not."""
    try:
        instance = _match(row, existing, by)
    except _Ambiguous:
        result.errors.append(_ambiguous(row))
        return
    data = _child_input(row, instance, keys, result.errors)
    if data is None:
        return
    joined: list[RowError] = []
    try:
        with transaction.atomic():
            saved = child_save(by=by, data=data, instance=instance, today=today)
            if saved.created:
                joined = _join_family(row.number, saved.child, data, by=by, today=today)
    except ValidationError as exc:
        result.errors += _service_errors(row.number, exc)
        return
    except IntegrityError:
        result.errors.append(RowError(row.number, "", _("This row clashes with another archive.")))
        return
    if saved.created:
        result.created += 1
        # Shown in the dry run; importing after it is the decision "not the same child".
        candidates = [c for c in (likely or {}).get(row.number, []) if c.child.pk != saved.child.pk]
        result.warnings += [_duplicate_warning(row.number, c) for c in candidates]
        result.warnings += joined
        duplicates.not_duplicate_record(
            by=by, child=saved.child, others=[c.child.pk for c in candidates], context="roster"
        )
    elif saved.changed:
        result.updated += 1
    else:
        result.unchanged += 1
    result.warnings += [RowError(row.number, "", w) for w in saved.warnings]


def _join_family(
    number: int, child: Child, data: ChildInput, *, by: User, today: datetime.date
) -> list[RowError]:
    """A new child of the file joins the one family of its village with a parent's or the
    carer's phone or name (a household, or a sibling whose household is formed), taking the
    household's shared facts: reported on the row, in the dry run as in the import. Several
    families matching: the row says so and joins none."""
    families = household.families_for_input(by, data, exclude=child.pk)
    header = COLUMNS_BY_KEY["name"].header
    if len(families) > 1:
        return [
            RowError(
                number,
                header,
                _(
                    "Several families of the village have these parents' or carer's phones "
                    "or names (%(names)s): join the right one on the archive page."
                )
                % {"names": "; ".join("、".join(f.names) for f in families)},
            )
        ]
    if not families:
        return []
    family = families[0]
    home = family.household or household.household_of(by=by, child=family.child)  # type: ignore[arg-type]
    household.household_join(by=by, child=child, household=home, today=today)
    return [
        RowError(
            number,
            header,
            _(
                "Joins the household of %(names)s: the address, parents, guardian and carer "
                "are the household's."
            )
            % {"names": "、".join(family.names)},
        )
    ]


# --- The dry run and the commit of an uploaded roster ----------------------------------------


def _store_result(record: RosterImport, result: RosterResult, row_count: int) -> None:
    record.row_count = row_count
    record.new_count = result.created
    record.updated_count = result.updated
    record.unchanged_count = result.unchanged
    record.errors = [error.as_dict() for error in result.errors]
    record.warnings = [warning.as_dict() for warning in result.warnings]


def roster_dry_run(*, by: User, upload: UploadedFile, today: datetime.date) -> RosterImport:
    """Check an uploaded roster (every row through child_save, rolled back) and keep the file
    with the report, for confirmation. Raises SheetError when it is not a readable workbook;
    nothing is kept then."""
    parsed = parse_workbook(upload, by, today)
    result = apply_roster(parsed, by=by, today=today, commit=False)
    record = RosterImport(
        uploaded_by=by,
        district=permissions.managed_districts(by)[0],
        original_name=(upload.name or "")[:200],
    )
    _store_result(record, result, parsed.row_count)
    upload.seek(0)
    storage.save_file(record.file, "roster.xlsx", upload)
    record.save()
    return record


def roster_import(
    *, by: User, pk: int, today: datetime.date
) -> tuple[RosterImport, RosterResult | None]:
    """Import the checked roster `pk` of `by`, every row in one transaction or nothing. The
    kept file is checked again: the archive may have changed since the dry run. The result is
    None when the record cannot be imported (it has errors, or was imported already). Raises
    RosterImport.DoesNotExist for an import of someone else."""
    with transaction.atomic():
        record = (
            RosterImport.objects.filter(uploaded_by=by)
            .select_for_update()
            .select_related("district")
            .get(pk=pk)
        )
        if not record.can_commit:
            return record, None
        try:
            with record.file.open("rb") as stream:
                parsed = parse_workbook(stream, by, today)
        except (SheetError, OSError):
            parsed = RosterParse(
                errors=[RowError(0, "", _("The uploaded file can no longer be read."))]
            )
        result = apply_roster(parsed, by=by, today=today, commit=True)
        _store_result(record, result, parsed.row_count)
        if result.committed:
            record.status = RosterImportStatus.COMMITTED
            record.committed_at = clock.now()
        else:
            record.status = RosterImportStatus.FAILED
        record.save()
    return record, result
