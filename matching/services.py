"""Writes of department lists and findings: the dry run and the import of a list (all or
nothing, once per file), the review of name matches, and closing a finding with an outcome."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from children.models import Child
from core import clock, database, permissions, storage
from core.roles import Role
from core.scoping import role_scope
from core.spreadsheets import RowError, SheetError, all_or_nothing
from core.workitems import done_note_clean, workitem_done
from matching import engine
from matching.models import (
    ColumnMapping,
    Finding,
    ListImport,
    ListImportStatus,
    ListRow,
    Outcome,
    Review,
)
from matching.reading import Parsed, file_hash, header_row, read_list
from matching.risk import children_of, risk_findings_update
from matching.rules import findings_for
from matching.sources import SOURCES
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import Region, User
from org.selectors import staff_serving

MAX_WARNINGS = 2000  # notes kept with a dry run (they do not block the import)


def may_import(user: User, district: Region) -> bool:
    return any(d.pk == district.pk for d in permissions.managed_districts(user))


def _saved_headers(district: Region, source: str) -> dict[str, str]:
    row = ColumnMapping.objects.filter(district=district, source=source).first()
    return dict(row.headers) if row else {}


def _parse(
    stream: IO[bytes], name: str, record: ListImport, headers: dict[str, str], today: datetime.date
) -> Parsed:
    try:
        return read_list(
            stream,
            name,
            source=SOURCES[record.source],
            district=record.district,
            saved=headers,
            today=today,
        )
    except (SheetError, UnicodeDecodeError, OSError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return Parsed(errors=[RowError(0, "", m) for m in messages])


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
    parsed = _parse(stream, name, record, mapping, today)
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


def notify_directors(findings: QuerySet[Finding], body: str) -> None:
    """Each director of a village with new `findings`: one notification with the count."""
    per_village = Counter(findings.values_list("region_code", flat=True))
    if not per_village:
        return
    link = reverse("matching:my_findings")
    by_code: dict[str, list[User]] = {}
    for assignment in staff_serving(
        roles=[Role.CHILD_DIRECTOR], codes=per_village.keys()
    ).select_related("user", "region"):
        by_code.setdefault(assignment.region.code, []).append(assignment.user)
    for code, users in by_code.items():
        notify(
            recipients=users,
            kind=NotificationKind.OTHER,
            title=_("%(n)d new findings from a department list") % {"n": per_village[code]},
            body=body,
            link=link,
        )


def list_import(
    *, by: User, pk: int, today: datetime.date | None = None
) -> tuple[ListImport, bool]:
    """Import the checked list `pk`: every row staged, matched and its findings written in one
    transaction, or nothing. Returns the record and whether it was imported now. Raises
    ListImport.DoesNotExist for a list of someone else's district."""
    today = today or clock.today()
    with transaction.atomic():
        record = (
            ListImport.objects.filter(district__in=permissions.managed_districts(by))
            .select_for_update()
            .select_related("district")
            .get(pk=pk)
        )
        if not record.can_commit:
            return record, False
        if ListImport.objects.filter(
            district=record.district,
            source=record.source,
            file_hash=record.file_hash,
            status=ListImportStatus.COMMITTED,
        ).exists():
            return record, False
        try:
            with record.file.open("rb") as stream:
                parsed = _parse(stream, record.original_name, record, record.headers, today)
        except OSError:
            parsed = Parsed(errors=[RowError(0, "", _("The uploaded file can no longer be read."))])
        errors = list(parsed.errors)
        with all_or_nothing(commit=True, errors=errors) as run:
            database.without_jit()
            record.matched_count = engine.stage_and_match_exact(record, parsed.rows)
            record.fuzzy_count, record.review_count = engine.match_names(record)
            record.finding_count = findings_for(
                record, ListRow.objects.filter(list_import=record), today=today
            )
            engine.analyze("matching_listrow", "matching_finding")
            risk_findings_update(
                children=children_of(Finding.objects.filter(list_import=record)),
                region_code=record.district.code,
            )
            ColumnMapping.objects.update_or_create(
                district=record.district,
                source=record.source,
                defaults={"headers": parsed.headers},
            )
            record.status = ListImportStatus.COMMITTED
            record.committed_at = clock.now()
            record.save()
            notify_directors(
                Finding.objects.filter(list_import=record), str(record.get_source_display())
            )
        if not run.committed:
            record.errors = [e.as_dict() for e in errors]
            record.status = ListImportStatus.FAILED
            record.save(update_fields=["errors", "status"])
    return record, run.committed


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
