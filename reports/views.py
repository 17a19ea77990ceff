"""Pages of mandatory reports: filing from a phone, the case page with its timeline, and the
open-cases list. Rules are in reports.services; reads in reports.selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carecase import access
from carecase.forms import add_service_errors
from children.audit import log_access
from children.models import AccessAction, Child
from org.models import Region
from org.regions import Level
from reports import selectors, services
from reports.forms import ReportForm, StepForm
from reports.models import MandatoryReport, ReportStep

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def report_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not services.may_file(user):
        raise PermissionDenied(_("Your role does not file reports here."))
    child = None
    if request.GET.get("child"):
        child = access.get_visible_or_404(Child.objects.all(), user, pk=request.GET["child"])
    form = ReportForm(
        request.POST or None,
        children=Child.objects.visible_to(user),
        villages=Region.objects.visible_to(user).filter(level=Level.VILLAGE),
        initial={"child": child.pk} if child else {},
    )
    if request.method == "POST" and form.is_valid():
        try:
            report, created = services.file_report(
                by=user, data=form.report_input(), client_uuid=form.cleaned_data["client_uuid"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(
                    request,
                    _("The report has been filed; the supervisor, civil affairs and the "
                      "protection centre have been alerted."),
                )  # fmt: skip
            else:
                messages.info(request, _("This report was already filed."))
            return redirect("reports:detail", pk=report.pk)
    return render(
        request,
        "reports/report_form.html",
        {"form": form, "child": child},
        status=400 if form.errors and request.method == "POST" else 200,
    )


def _visible_report(request: HttpRequest, pk: int) -> MandatoryReport:
    return access.get_visible_or_404(selectors.reports_for(request.user), request.user, pk=pk)


@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    report = _visible_report(request, pk)
    steps = selectors.timeline(report)
    form = StepForm(request.POST or None, steps=ReportStep.objects.filter(report=report))
    if request.method == "POST":
        access.require_work(user)
        if form.is_valid():
            try:
                services.add_step(by=user, report=report, data=form.step_input())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The step has been recorded."))
                return redirect("reports:detail", pk=report.pk)
    else:
        log_access(request, AccessAction.VIEW, child=report.child, scope=f"report {report.pk}")
    now = timezone.now()
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "steps": steps,
            "form": form,
            "now": now,
            "overdue": report.next_due_at is not None and report.next_due_at < now,
            "can_add": services.may_add_steps(user) and not access.work_refusal(user),
            "can_see_reporter": services.may_see_reporter(user, report),
            "flags": services.r19_flags([report])[report.pk],
        },
        status=400 if form.errors and request.method == "POST" else 200,
    )


def report_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.open_cases(request.user)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    flags = services.r19_flags(rows)
    for row in rows:
        row.r19_flags = flags[row.pk]
    return render(
        request,
        "reports/report_list.html",
        {
            "page": page,
            "rows": rows,
            "now": timezone.now(),
            "can_file": services.may_file(request.user),  # type: ignore[arg-type]
        },
    )
