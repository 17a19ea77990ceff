"""Writes of department lists and findings: the dry run and the import of a list (all or
nothing, once per file), the review of name matches, and closing a finding with an outcome."""

from __future__ import annotations

import datetime
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from children.models import Child
from core import clock, permissions, storage
from core.roles import Role
from core.scoping import role_scope
from core.spreadsheets import SheetError
from core.workitems import done_note_clean, workitem_done
from matching import tasks
from matching.importing import list_import, parse
from matching.models import (
    ColumnMapping,
    Finding,
    ListImport,
    ListImportStatus,
    ListRow,
    Outcome,
    Review,
)
from matching.reading import file_hash, header_row
from matching.risk import risk_findings_update
from matching.rules import findings_for
from org.models import Region, User

MAX_WARNINGS = 2000  # notes kept with a dry run (they do not block the import)


def may_import(user: User, district: Region) -> bool:
    return any(d.pk == district.pk for d in permissions.managed_districts(user))


def _saved_headers(district: Region, source: str) -> dict[str, str]:
    row = ColumnMapping.objects.filter(district=district, source=source).first()
    return dict(row.headers) if row else {}


def list_dry_run(
    *,
    by: User,
    district: Region,
    source: str,
    upload: UploadedFile,
    headers: dict[str, str] | None = None,
    today: datetime.date | None = None,
) -> ListImport:
    """Check an uploaded list and keep it with the report (every bad row and cell, how many
    rows would match by ID). The same file already imported for the district and source is
    that import: nothing is kept twice."""
    today = today or clock.today()
    if not may_import(by, district):
        raise PermissionDenied(_("Lists are imported by the district's civil-affairs staff."))
    digest = file_hash(upload)
    done = ListImport.objects.filter(
        district=district, source=source, file_hash=digest, status=ListImportStatus.COMMITTED
    ).first()
    if done is not None:
        return done
    mapping = {**_saved_headers(district, source), **(headers or {})}
    record = ListImport(
        uploaded_by=by,
        district=district,
        source=source,
        file_hash=digest,
        original_name=(upload.name or "")[:200],
    )
    _check(record, upload, upload.name or "", mapping, today)
    upload.seek(0)
    storage.save_file(record.file, "list.bin", upload)
    record.save()
    return record


def _check(
    record: ListImport, stream: IO[bytes], name: str, mapping: dict[str, str], today: datetime.date
) -> None:
    """The dry run's report on `record` (unsaved): rows, matches by ID, bad rows and cells,
    notes, and the headers used."""
    parsed = parse(stream, name, record, mapping, today)
    hashes = [row.id_hash for row in parsed.rows if row.id_hash]
    matched = 0
    for start in range(0, len(hashes), 2000):
        matched += Child.objects.filter(
            region_code__startswith=record.district.prefix,
            id_hash__in=hashes[start : start + 2000],
        ).count()
    record.row_count = parsed.row_count
    record.matched_count = matched
    record.headers = {**mapping, **parsed.headers}
    record.errors = [e.as_dict() for e in parsed.errors]
    record.warnings = [w.as_dict() for w in parsed.warnings[:MAX_WARNINGS]]


def list_columns(record: ListImport) -> list[str]:
    """The headers of a checked list's file, for mapping them by hand; none once the file is
    purged or unreadable."""
    if not record.file:
        return []
    try:
        with record.file.open("rb") as stream:
            return header_row(stream, record.original_name)
    except (SheetError, ValidationError, UnicodeDecodeError, OSError):
        return []


def list_remap(
    *, by: User, pk: int, headers: dict[str, str], today: datetime.date | None = None
) -> ListImport:
    """Check a list again with the headers chosen by hand ({field key: header}, the others
    recognised from their usual names). An imported list is left as it is."""
    today = today or clock.today()
    with transaction.atomic():
        record = ListImport.objects.select_for_update().select_related("district").get(pk=pk)
        if not may_import(by, record.district):
            raise PermissionDenied(_("Lists are imported by the district's civil-affairs staff."))
        if record.status != ListImportStatus.PREVIEWED or not record.file:
            return record
        with record.file.open("rb") as stream:
            _check(record, stream, record.original_name, headers, today)
        record.save()
    return record


def list_import_request(*, by: User, pk: int) -> tuple[ListImport, bool]:
    """Confirm the checked list `pk`: a list of up to MATCHING_INLINE_ROWS rows is imported at
    once (`list_import`), a longer one is marked importing and queued on the "imports" queue
    (matching.tasks.import_list), so the request returns in a moment and no web worker waits
    a minute on 200,000 rows. Returns the record and whether it was imported now. Confirming
    twice queues one import; a list of someone else's district raises ListImport.DoesNotExist."""
    with transaction.atomic():
        record = (
            ListImport.objects.filter(district__in=permissions.managed_districts(by))
            .select_for_update()
            .get(pk=pk)
        )
        if record.status == ListImportStatus.IMPORTING:
            return record, False
        if not record.can_commit or record.row_count <= settings.MATCHING_INLINE_ROWS:
            inline = True
        else:
            inline = False
            record.status = ListImportStatus.IMPORTING
            record.importing_since = clock.now()
            record.save(update_fields=["status", "importing_since"])
            transaction.on_commit(lambda: tasks.import_list.delay(record.pk, by.pk))
    if inline:
        return list_import(by=by, pk=pk)
    return record, False


def review_decide(
    *, by: User, row: ListRow, confirm: bool, today: datetime.date | None = None
) -> int:
    """Confirm (the candidate is the row's child) or reject (no child of the archive) a name
    match waiting for review, then write the row's findings. Returns the findings written.
    The caller resolved `row` through the user's scope."""
    today = today or clock.today()
    record = row.list_import
    if not may_import(by, record.district):
        raise PermissionDenied(_("Matches are reviewed by the district's civil-affairs staff."))
    with transaction.atomic():
        locked = ListRow.objects.select_for_update().get(pk=row.pk)
        if locked.review != Review.PENDING:
            return 0
        locked.review = Review.CONFIRMED if confirm else Review.REJECTED
        locked.reviewed_by = by
        if confirm:
            locked.child_id, locked.method = locked.candidate_id, "name"
        locked.save(update_fields=["review", "reviewed_by", "child", "method"])
        written = findings_for(record, ListRow.objects.filter(pk=row.pk), today=today)
        if written and locked.child_id:
            risk_findings_update(
                children=Child.objects.filter(pk=locked.child_id),
                region_code=record.district.code,
            )
        ListImport.objects.filter(pk=record.pk).update(
            finding_count=Finding.objects.filter(list_import=record).count()
        )
    return written


def may_close(user: User, finding: Finding) -> bool:
    """The village's director, or district civil affairs."""
    scope = role_scope(user, Role.CHILD_DIRECTOR, Role.CIVIL_AFFAIRS)
    return any(finding.region_code.startswith(prefix) for prefix in scope.prefixes)


def finding_close(
    *,
    by: User,
    finding: Finding,
    outcome: str,
    note: str = "",
    link: str = "",
    today: datetime.date | None = None,
) -> Finding:
    """Close a finding with its outcome: confirmed (the archive updated: a link to the change),
    registered (a link to the new archive), not applicable (a reason) or referred (to whom).
    The caller resolved `finding` through the user's scope."""
    today = today or clock.today()
    permissions.require_work(by)
    if not may_close(by, finding):
        raise PermissionDenied(_("Findings are closed by the village's child director."))
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    link = link.strip()
    if outcome in {Outcome.CONFIRMED, Outcome.REGISTERED} and not link.startswith("/children/"):
        errors["outcome_link"] = [_("Give the link to the archive that was changed or created.")]
    note = done_note_clean(note)
    if outcome in {Outcome.NOT_APPLICABLE, Outcome.REFERRED} and not note:
        errors["done_note"] = [
            _("Say why it does not apply.")
            if outcome == Outcome.NOT_APPLICABLE
            else _("Say to whom it was referred.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        closed = workitem_done(
            item=finding,
            by=by,
            done_on=today,
            earliest=finding.created_on,
            today=today,
            note=note,
        )
        # The first outcome stays, like the first date and note of workitem_done.
        Finding.objects.filter(pk=closed.pk, outcome="").update(
            outcome=outcome, outcome_link=link[:200]
        )
        closed.refresh_from_db(fields=["outcome", "outcome_link"])
        if closed.child_id:
            risk_findings_update(
                children=Child.objects.filter(pk=closed.child_id), region_code=closed.region_code
            )
    return closed
