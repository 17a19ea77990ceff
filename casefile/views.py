"""The child's archive page (档案): everything about one child, with the timeline; and its
printed dossier (一人一档), visits and mandatory reports included."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from casefile import dossier
from casefile.selectors import child_page
from children import dossier as archive_dossier
from children.audit import log_access
from children.choices import CloseReason
from children.document_views import PRIVATE_HEADERS
from children.models import AccessAction, Child
from core import clock, scoping
from core.http import AuthenticatedRequest
from duplicates.models import ChildMerge


def child_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = scoping.get_visible_or_404(
        Child.objects.select_related("village__parent", "created_by", "household", "risk"),
        request.user,
        pk=pk,
    )
    # A tombstone (merged into another archive of the same child) sends its links on to the
    # survivor, when the viewer may see it; otherwise its closed page says where it went.
    merge = (
        ChildMerge.objects.filter(merged=child).only("survivor_id").first()
        if child.close_reason == CloseReason.MERGED
        else None
    )
    if (
        merge is not None
        and Child.objects.visible_to(request.user).filter(pk=merge.survivor_id).exists()
    ):
        return redirect("children:detail", pk=merge.survivor_id)
    log_access(request, AccessAction.VIEW, child=child)
    return render(request, "children/child_detail.html", child_page(child, request.user))


@require_GET
def dossier_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = scoping.get_visible_or_404(archive_dossier.dossier_queryset(), request.user, pk=pk)
    now = clock.now()
    pdf = dossier.render_pdf(child, request.user, now=now)
    log_access(request, AccessAction.PDF, child=child)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = archive_dossier.content_disposition(
        child, timezone.localdate(now)
    )
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response
