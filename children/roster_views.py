"""Pages for roster import (district civil affairs) and roster export (every data role)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from children import idnumber, roster_writing
from children.audit import log_access
from children.choices import Category, Status
from children.models import AccessAction, Child
from children.models_roster import RosterImport
from children.roster_columns import EXPORT_HEADERS
from children.roster_import import roster_dry_run, roster_import
from children.selectors import DEFAULT_SORT, SORTS, ChildFilter, children_for
from core import clock, permissions, scoping
from core.http import AuthenticatedRequest
from core.roles import DATA_ROLES
from core.spreadsheets import XLSX_TYPE, SheetError, csv_safe
from org.models import User

TEMPLATE_FILENAME = "儿童名册导入模板.xlsx"
EXPORT_FILENAME = "儿童名册-{date:%Y%m%d}.{suffix}"
EXPORT_CHUNK = 2000


# --- Import ----------------------------------------------------------------------------------


def _require_importer(request: AuthenticatedRequest) -> None:
    if not permissions.can_import_rosters(request.user):
        raise PermissionDenied(_("Only district civil-affairs staff import rosters."))


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("Upload an Excel workbook (.xlsx). Save an .xls or .csv file as .xlsx first.")
            )
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s.")
                % {"size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
            )
        upload.seek(0)
        magic = upload.read(4)
        upload.seek(0)
        if magic != b"PK\x03\x04":
            raise forms.ValidationError(_("The file cannot be read as an Excel workbook (.xlsx)."))
        return upload


@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a roster; it is checked at once (a dry run) and shown for confirmation."""
    _require_importer(request)
    user: User = request.user
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = roster_dry_run(by=user, upload=form.cleaned_data["file"], today=clock.today())
        except SheetError as exc:
            form.add_error("file", exc.messages[0])
        else:
            return redirect("children:import_preview", pk=record.pk)
    recent = RosterImport.objects.filter(uploaded_by=user).select_related("district")[:10]
    return render(
        request,
        "children/import_form.html",
        {"form": form, "recent": recent, "max_size": settings.ATTACHMENT_MAX_BYTES},
    )


@require_GET
def import_template(request: AuthenticatedRequest) -> HttpResponseBase:
    _require_importer(request)
    buffer = io.BytesIO()
    roster_writing.write_template(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename=TEMPLATE_FILENAME, content_type=XLSX_TYPE
    )


def _own_import(request: AuthenticatedRequest, pk: int) -> RosterImport:
    """An import of the requesting user; anyone else's is a 404, like a child out of scope."""
    queryset = RosterImport.objects.filter(uploaded_by=request.user)
    return get_object_or_404(queryset.select_related("district"), pk=pk)


@require_GET
def import_preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_importer(request)
    record = _own_import(request, pk)
    errors_by_row = sorted({e["row"] for e in record.errors if e["row"]})
    return render(
        request,
        "children/import_preview.html",
        {
            "record": record,
            "bad_rows": len(errors_by_row),
            "file_errors": [e for e in record.errors if not e["row"]],
            "row_errors": [e for e in record.errors if e["row"]],
        },
    )


@require_POST
def import_commit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Import every row in one transaction, or nothing. The file is checked again: the
    archive may have changed since the preview."""
    _require_importer(request)
    user: User = request.user
    try:
        record, result = roster_import(by=user, pk=pk, today=clock.today())
    except RosterImport.DoesNotExist as exc:
        raise Http404 from exc
    if result is None:
        messages.error(request, _("This roster cannot be imported: see the problems below."))
        return redirect("children:import_preview", pk=record.pk)
    if not result.committed:
        messages.error(
            request,
            _("Nothing was imported: the archive changed since the check. See the problems."),
        )
        return redirect("children:import_preview", pk=record.pk)
    district = record.district
    log_access(
        request,
        AccessAction.IMPORT,
        scope=f"{district.name} ({district.code}) · {record.original_name}",
        row_count=record.row_count,
    )
    messages.success(
        request,
        _("Imported: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.")
        % {"new": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect("children:import_preview", pk=record.pk)


# --- Export ----------------------------------------------------------------------------------


def _require_children_role(request: AuthenticatedRequest) -> None:
    if not scoping.get_scope(request.user).has_role(*DATA_ROLES):
        raise PermissionDenied(_("Your roles do not include children's archives."))


def _filter_from(request: AuthenticatedRequest) -> ChildFilter:
    """The list page's filters, from the query string (anything unknown is ignored)."""
    get = request.GET
    category = get.get("category", "")
    status = get.get("status", "")
    sort = get.get("sort", "") or DEFAULT_SORT
    return ChildFilter(
        q=get.get("q", "").strip()[:50],
        region=get.get("region", "").strip()[:12],
        category=category if category in Category.values else "",
        status=status if status in Status.values else "",
        key=get.get("key", "") if get.get("key") in ("0", "1") else "",
        sort=sort if sort in SORTS else DEFAULT_SORT,
    )


def describe_filter(flt: ChildFilter, fmt: str, full_ids: bool) -> str:
    """The filter of an export for the access log. A searched ID number is masked: the log
    must not become a list of identity numbers."""
    parts = [fmt]
    for name in ("region", "category", "status", "key", "q"):
        value = getattr(flt, name)
        if value:
            if name == "q" and any(ch.isdigit() for ch in value):
                value = idnumber.mask(idnumber.normalize(value))
            parts.append(f"{name}={value}")
    parts.append("ids=full" if full_ids else "ids=masked")
    return " ".join(parts)


def _export(request: AuthenticatedRequest, fmt: str) -> tuple[Any, bool, str, int]:
    _require_children_role(request)
    flt = _filter_from(request)
    full_ids = permissions.can_export_identifier(request.user)
    queryset = children_for(request.user, flt)
    count = queryset.count()
    log_access(
        request, AccessAction.EXPORT, scope=describe_filter(flt, fmt, full_ids), row_count=count
    )
    queryset = queryset.select_related("village").prefetch_related("categories", "parents")
    filename = EXPORT_FILENAME.format(date=clock.today(), suffix=fmt)
    return queryset, full_ids, filename, count


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(children: Iterator[Child], full_ids: bool) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    yield writer.writerow(EXPORT_HEADERS).encode()
    for values in roster_writing.rows_for_export(children, full_ids):
        yield writer.writerow([csv_safe(v) for v in values]).encode()


@require_GET
def export_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """The roster as CSV (UTF-8 with BOM, so Excel reads the Chinese), streamed in chunks:
    constant memory and a constant number of queries per chunk."""
    queryset, full_ids, filename, _count = _export(request, "csv")
    response = StreamingHttpResponse(
        _csv_lines(queryset.iterator(chunk_size=EXPORT_CHUNK), full_ids),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    add_never_cache_headers(response)
    return response


@require_GET
def export_xlsx(request: AuthenticatedRequest) -> HttpResponseBase:
    """The roster as .xlsx, written row by row (openpyxl write-only) to a temporary file."""
    queryset, full_ids, filename, _count = _export(request, "xlsx")
    stream = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    roster_writing.write_xlsx(
        roster_writing.rows_for_export(queryset.iterator(chunk_size=EXPORT_CHUNK), full_ids), stream
    )
    stream.seek(0)
    response = FileResponse(stream, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    add_never_cache_headers(response)
    return response
