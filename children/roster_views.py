"""Pages for roster import (district civil affairs); the export is exports/roster_views.py."""

from __future__ import annotations

import io
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
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from children import roster_writing
from children.audit import log_access
from children.models import AccessAction
from children.models_roster import RosterImport
from children.roster_import import roster_dry_run, roster_import
from core import clock, permissions
from core.http import AuthenticatedRequest
from core.spreadsheets import XLSX_TYPE, SheetError
from core.storage import StorageUnavailable
from org.models import User

TEMPLATE_FILENAME = "儿童名册导入模板.xlsx"


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
        except (SheetError, StorageUnavailable) as exc:
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
