"""The roster export (the child list's filter as a spreadsheet): at most ROSTER_STREAM_MAX
rows are streamed in the request; more become an export job, built by a worker with its
progress, in the requester's name and scope, downloaded when ready (exports/jobs.py).

Every data role exports the children it sees. ID numbers are written in full only for users
with the export permission (core.permissions.can_export_identifier), masked otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from children import idnumber, roster_copy, roster_writing
from children.choices import Status
from children.forms import ChildFilterForm
from children.models import Child
from children.selectors import ChildFilter, children_for, filter_regions
from core import database, permissions, scoping
from core.regions import CODE_LENGTH, infer_level, prefix_code
from core.spreadsheets import SHEET_ROWS, sheets_for
from exports.models import ExportJob
from org.models import Region, User

FORMATS = ("csv", "xlsx")
# Children read per query (their parents and categories read per chunk).
CHUNK = 2000
# The filter's fields kept with a job (the day is kept apart, as the job's date).
FILTER_FIELDS = ("q", "region", "category", "status", "key", "sort", "overdue", "visited")


def stream_max() -> int:
    """Rows streamed in the request; beyond, a job (settings.ROSTER_STREAM_MAX, 10,000)."""
    return int(getattr(settings, "ROSTER_STREAM_MAX", 10_000))


def list_filter(user: User, get: Any, today: datetime.date) -> ChildFilter:
    """The list page's filter from the same query string (children.forms.ChildFilterForm):
    the export holds what the list shows."""
    form = ChildFilterForm(get or None, regions=filter_regions(user))
    flt = form.to_filter() if get else ChildFilter(status=Status.ACTIVE)
    return dataclasses.replace(flt, today=today)


def describe_filter(flt: ChildFilter, fmt: str, full_ids: bool) -> str:
    """The filter of an export for the access log. A searched ID number is masked: the log
    must not become a list of identity numbers."""
    parts = [fmt]
    for name in ("region", "category", "status", "key", "overdue", "visited", "q"):
        value = getattr(flt, name)
        if value:
            if name == "q" and any(ch.isdigit() for ch in value):
                value = idnumber.mask(idnumber.normalize(value))
            parts.append(f"{name}={value}")
    parts.append("ids=full" if full_ids else "ids=masked")
    return " ".join(parts)


def roster_rows(user: User, flt: ChildFilter) -> QuerySet[Child]:
    """The children of the export, in the list's order (roster_writing.export_rows reads
    their values, parents and categories chunk by chunk)."""
    return children_for(user, flt)


def roster_area(user: User, flt: ChildFilter) -> Region:
    """The region an export job is filed under (the job is the requester's while it stays in
    their scope): the filter's region, else the widest region of the user's scope."""
    regions = Region.objects.visible_to(user)
    if flt.region and flt.region.isdigit():
        code = prefix_code(flt.region[:CODE_LENGTH])
        region = regions.filter(code=code, level=infer_level(code)).first()
        if region is not None:
            return region
    widest = sorted(scoping.get_scope(user).regions(), key=lambda r: (r.prefix_length, r.code))
    if not widest:
        raise Http404
    return widest[0]


@dataclass
class RosterBuilt:
    rows: int
    sheets: int
    full_ids: bool


def build_roster(job: ExportJob, out: IO[bytes], progress: Callable[[int, str], None]) -> Any:
    """The job's roster written to `out`, with the progress per chunk of children."""
    user = job.requested_by
    values = {k: v for k, v in job.params.get("filter", {}).items() if k in FILTER_FIELDS}
    flt = dataclasses.replace(
        ChildFilter(**values), today=datetime.date.fromisoformat(job.params["date"])
    )
    full_ids = permissions.can_export_identifier(user)
    queryset = roster_rows(user, flt)
    total = max(queryset.count(), 1)
    done = 0

    def counted(n: int) -> None:
        nonlocal done
        done += n
        progress(done * 100 // total, "rows")

    as_csv = job.params.get("format") == "csv"
    # The one large query is not worth compiling (core.database.jit_off).
    with database.jit_off():
        if as_csv and roster_copy.available(full_ids):
            out.write(roster_copy.header())
            rows_written = roster_copy.copy_csv(queryset, out, chunk=CHUNK, done=counted)
            return RosterBuilt(rows=rows_written, sheets=0, full_ids=full_ids)
        rows = roster_writing.export_rows(
            queryset, full_ids, chunk=CHUNK, done=counted, for_csv=as_csv
        )
        if as_csv:
            for line in roster_writing.csv_lines(rows):
                out.write(line)
            return RosterBuilt(rows=done, sheets=0, full_ids=full_ids)
        sheet_rows = int(getattr(settings, "ROSTER_SHEET_ROWS", SHEET_ROWS))
        count = roster_writing.write_xlsx(rows, out, sheet_rows=sheet_rows)
    return RosterBuilt(rows=count, sheets=sheets_for(count, sheet_rows), full_ids=full_ids)
