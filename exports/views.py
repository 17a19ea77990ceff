"""Pages of export jobs: my exports, a new statistics export, a new export for the national
children's welfare system and its ledger, a job with its progress (polled by htmx) and the
download. Rules are in exports.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import clock
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.replica import replica_reads
from core.storage import serves_stored_files
from exports import selectors, services
from exports.forms import NationalExportForm, StatisticsExportForm
from exports.models import ExportKind
from org.models import User

LIST_SIZE = 50


@require_GET
@replica_reads
def job_list(request: AuthenticatedRequest) -> HttpResponse:
    jobs = list(selectors.jobs_for(request.user)[:LIST_SIZE])
    return render(
        request,
        "exports/job_list.html",
        {"jobs": jobs, "can_export": selectors.may_export(request.user), "now": clock.now()},
    )


@require_http_methods(["GET", "POST"])
def statistics_new(request: AuthenticatedRequest) -> HttpResponse:
    user: User = request.user
    if not selectors.may_export(user):
        raise PermissionDenied(
            _("Statistics are exported by district civil-affairs staff and town supervisors.")
        )
    today = clock.today()
    form = StatisticsExportForm(
        request.POST or None, areas=selectors.export_areas(user), initial={"date": today}
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = services.export_request(
                user=user,
                kind=ExportKind.STATISTICS,
                area_code=form.cleaned_data["area"],
                params={"date": form.cleaned_data["date"]},
                today=today,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The export has started. This page shows its progress."))
            return redirect("exports:detail", pk=job.pk)
    return render(
        request,
        "exports/statistics_form.html",
        {"form": form},
        status=400 if form.errors and request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def national_new(request: AuthenticatedRequest) -> HttpResponse:
    user: User = request.user
    if not selectors.may_export(user):
        raise PermissionDenied(
            _("Statistics are exported by district civil-affairs staff and town supervisors.")
        )
    form = NationalExportForm(request.POST or None, areas=selectors.export_areas(user))
    if request.method == "POST" and form.is_valid():
        try:
            job = services.export_request(
                user=user,
                kind=ExportKind.NATIONAL,
                area_code=form.cleaned_data["area"],
                params={"mode": form.cleaned_data["mode"]},
                today=clock.today(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The export has started. This page shows its progress."))
            return redirect("exports:detail", pk=job.pk)
    return render(
        request,
        "exports/national_form.html",
        {"form": form},
        status=400 if form.errors and request.method == "POST" else 200,
    )


@require_GET
@replica_reads
def national_ledger(request: AuthenticatedRequest) -> HttpResponse:
    """Every national-system export of the regions in the user's scope, by anyone."""
    user: User = request.user
    if not selectors.may_read_ledger(user):
        raise PermissionDenied(
            _("The ledger is read by district civil-affairs staff and town supervisors.")
        )
    rows = list(selectors.national_ledger(user)[:LIST_SIZE])
    return render(
        request,
        "exports/national_ledger.html",
        {"rows": rows, "now": clock.now(), "user_pk": user.pk},
    )


@require_GET
@replica_reads
def job_detail(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    job = selectors.job_or_404(request.user, pk)
    return render(request, "exports/job_detail.html", {"job": job, "now": clock.now()})


@require_GET
@replica_reads
def job_progress(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """The progress panel alone, which htmx polls until the job is finished."""
    job = selectors.job_or_404(request.user, pk)
    return render(request, "exports/progress.html", {"job": job, "now": clock.now()})


@require_GET
@replica_reads
@serves_stored_files
def job_download(request: AuthenticatedRequest, pk: Any) -> FileResponse:
    job, stream = services.export_download(request=request, job_id=pk, now=clock.now())
    return FileResponse(stream, as_attachment=True, filename=job.download_name())
