"""Documents of a child's archive: uploading and serving attachments (the dossier PDF, which
prints visits and reports too, is casefile.views.dossier_pdf).

Files are only ever served here, after the scope check: there is no MEDIA_URL. Every file
served is written to the access log (R20).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from children import attachments
from children.audit import log_access
from children.choices import AttachmentKind
from children.models import AccessAction, Attachment, Child
from core import permissions, scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.storage import open_for_download, serves_stored_files

logger = logging.getLogger(__name__)

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
}


class AttachmentForm(forms.Form):
    """Shapes the upload; the checks on the file itself are in children.attachments."""

    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.FileInput(attrs={"accept": attachments.ACCEPT}),
        help_text=gettext_lazy("A JPEG or PNG photo or a PDF, at most %(limit)s MB."),
        error_messages={
            "required": gettext_lazy("Choose a file."),
            "empty": gettext_lazy("The file is empty."),
            "invalid": gettext_lazy("No file was received; choose it again."),
        },
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)

    def __init__(self, *args: Any, limit_mb: str = "10", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = str(self.fields["file"].help_text) % {"limit": limit_mb}
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())


def _visible_child(request: AuthenticatedRequest, pk: int) -> Child:
    return scoping.get_visible_or_404(Child.objects.all(), request.user, pk=pk)


def _limit_mb() -> str:
    return f"{settings.ATTACHMENT_MAX_BYTES / (1024 * 1024):.3g}"


@require_http_methods(["GET", "POST"])
def attachment_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = _visible_child(request, pk)
    permissions.require_work(request.user)
    if not permissions.can_add_records(request.user):
        raise PermissionDenied(_("Your role does not add records to archives."))
    form = AttachmentForm(request.POST or None, request.FILES or None, limit_mb=_limit_mb())
    if request.method == "POST" and form.is_valid():
        try:
            attachments.save_attachment(
                by=request.user,
                child=child,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                client_token=form.cleaned_data.get("client_token"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The attachment has been added."))
            return redirect("children:detail", pk=child.pk)
    existing = child.attachments.select_related("created_by")
    return render(
        request,
        "children/attachment_form.html",
        {"form": form, "child": child, "attachments": existing},
        status=400 if form.errors else 200,
    )


@require_GET
@serves_stored_files
def attachment(request: AuthenticatedRequest, pk: int, attachment_pk: int) -> FileResponse:
    child = _visible_child(request, pk)
    item = Attachment.objects.filter(child=child, pk=attachment_pk).first()
    if item is None:
        raise Http404
    # Opened before the access log: a download that fails is not logged as made.
    stream = open_for_download(item.file.storage, item.file.name)
    log_access(request, AccessAction.ATTACHMENT, child=child, scope=f"attachment {item.pk}")
    response = FileResponse(
        stream,
        content_type=item.content_type,
        as_attachment=True,
        filename=attachments.download_name(
            item.original_name, attachments.extension_for(item.content_type)
        ),
    )
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response
