"""The import of a checked department list: every row staged, matched and its findings
written in one transaction, or nothing (`list_import`), in the request for a short list or by
a worker on the "imports" queue for a long one (`list_import_queued`, matching.tasks); and
the directors told of their villages' new findings."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import clock, database, permissions
from core.roles import Role
from core.spreadsheets import RowError, SheetError, all_or_nothing
from matching import engine
from matching.models import ColumnMapping, Finding, ListImport, ListImportStatus, ListRow
from matching.reading import Parsed, read_list
from matching.risk import children_of, risk_findings_update
from matching.rules import findings_for
from matching.sources import SOURCES
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import User
from org.selectors import staff_serving

# Kept in the record untranslated and shown in the reader's language.
IMPORT_FAILED = gettext_noop(
    "The import stopped before it finished and nothing was saved. Upload the list again; if "
    "it fails again, tell the system administrator."
)


# A list left importing past MATCHING_STUCK_MINUTES, no worker holding it.
IMPORT_STUCK = gettext_noop(
    "The import was interrupted (the worker importing it stopped) and nothing was saved. "
    "Upload the list again to import it."
)


def parse(
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
        queued = record.status == ListImportStatus.IMPORTING and not record.errors
        if not (record.can_commit or queued):
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
                parsed = parse(stream, record.original_name, record, record.headers, today)
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


def list_import_queued(*, pk: int, by_id: int) -> ListImport:
    """The worker's part: import the queued list `pk` as its confirmer. A second delivery of
    the same message (a worker killed mid-import: tasks are acknowledged late) imports it
    once, the import being one transaction and one per file. Anything unforeseen leaves the
    list failed with a message rather than importing for ever, and is raised for the task's
    record."""
    try:
        by = User.objects.get(pk=by_id)
        record, _done = list_import(by=by, pk=pk)
    except Exception:
        ListImport.objects.filter(pk=pk, status=ListImportStatus.IMPORTING).update(
            status=ListImportStatus.FAILED,
            errors=[RowError(0, "", _(IMPORT_FAILED)).as_dict()],
        )
        raise
    return record


def lists_stuck_fail(*, now: datetime.datetime | None = None) -> int:
    """Mark failed, with a message on the list's page, every list importing for more than
    MATCHING_STUCK_MINUTES that no worker is importing: its worker died (killed, out of
    memory, the host lost) and the broker's redelivery did not import it either. Returns how
    many. Idempotent.

    Failed rather than queued again: the import is one transaction, so a dead worker saved
    nothing and there is nothing to resume; a list that killed its worker would kill the
    next; and the uploader, told, uploads it again (a new check, then an import). A list a
    worker is still importing holds its row lock for the whole import (`list_import`) and is
    skipped (SKIP LOCKED); a redelivered message that comes after finds the list failed and
    imports nothing, so no row is ever imported twice."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(minutes=settings.MATCHING_STUCK_MINUTES)
    with transaction.atomic():
        stuck = list(
            ListImport.objects.select_for_update(skip_locked=True)
            .filter(status=ListImportStatus.IMPORTING)
            .filter(
                Q(importing_since__lt=cutoff)
                # Queued before importing_since was kept: its upload is older still.
                | Q(importing_since__isnull=True, created_at__lt=cutoff)
            )
            .values_list("pk", flat=True)
        )
        if not stuck:
            return 0
        return ListImport.objects.filter(pk__in=stuck, status=ListImportStatus.IMPORTING).update(
            status=ListImportStatus.FAILED,
            errors=[RowError(0, "", _(IMPORT_STUCK)).as_dict()],
        )
