"""The roster export's pages, in the archive's URL namespace (carecase/urls.py): the list's
"Export Excel / CSV" buttons. Up to ROSTER_STREAM_MAX rows the file comes at once (CSV
streamed in chunks, XLSX written row by row); more rows are asked for as an export job, on a
page that says how many and why."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from children import roster_writing
from children.audit import log_access
from children.models import AccessAction
from children.selectors import ChildFilter
from core import clock, permissions, scoping
from core.http import AuthenticatedRequest
from core.replica import replica_reads
from core.roles import DATA_ROLES
from core.spreadsheets import XLSX_TYPE
from exports import roster, services

FILENAME = "儿童名册-{date:%Y%m%d}.{suffix}"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}


def _export(request: AuthenticatedRequest, fmt: str) -> HttpResponseBase:
    if not scoping.get_scope(request.user).has_role(*DATA_ROLES):
        raise PermissionDenied(_("Your roles do not include children's archives."))
    today = clock.today()
    flt = roster.list_filter(request.user, request.GET, today)
    full_ids = permissions.can_export_identifier(request.user)
    queryset = roster.roster_rows(request.user, flt)
    count = queryset.count()
    if count > roster.stream_max() or request.method == "POST":
        return _as_job(request, fmt, flt, full_ids, count)
    log_access(
        request,
        AccessAction.EXPORT,
        scope=roster.describe_filter(flt, fmt, full_ids),
        row_count=count,
    )
    rows = roster_writing.export_rows(queryset, full_ids, chunk=roster.CHUNK, for_csv=fmt == "csv")
    filename = FILENAME.format(date=today, suffix=fmt)
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(
            roster_writing.csv_lines(rows), content_type=MEDIA_TYPES[fmt]
        )
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    else:
        stream = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
        roster_writing.write_xlsx(rows, stream)
        stream.seek(0)
        response = FileResponse(
            stream, as_attachment=True, filename=filename, content_type=MEDIA_TYPES[fmt]
        )
    add_never_cache_headers(response)
    return response


def _as_job(
    request: AuthenticatedRequest,
    fmt: str,
    flt: ChildFilter,
    full_ids: bool,
    count: int,
) -> HttpResponse:
    """GET: the page saying the roster is prepared in the background (nothing is queued by
    a GET); POST: the job asked for, and its page."""
    if request.method == "POST":
        permissions.require_work(request.user)
        job = services.roster_export_request(user=request.user, flt=flt, fmt=fmt)
        log_access(
            request,
            AccessAction.EXPORT,
            scope=f"{roster.describe_filter(flt, fmt, full_ids)} job {job.pk}"[:300],
            row_count=count,
        )
        messages.success(request, _("The roster is being prepared. It can be downloaded here."))
        return redirect("exports:detail", pk=job.pk)
    return render(
        request,
        "exports/roster_confirm.html",
        {"count": count, "fmt": fmt, "limit": roster.stream_max(), "full_ids": full_ids},
    )


@require_http_methods(["GET", "POST"])
@replica_reads
def export_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """The roster as CSV (UTF-8 with BOM, so Excel reads the Chinese)."""
    return _export(request, "csv")


@require_http_methods(["GET", "POST"])
@replica_reads
def export_xlsx(request: AuthenticatedRequest) -> HttpResponseBase:
    """The roster as .xlsx, continued in further sheets past Excel's row limit."""
    return _export(request, "xlsx")
