"""Pages of department lists and findings: the upload and its dry run (district staff), the
review of name matches, the findings by source, rule, village and outcome (supervisors and
district staff), a director's findings (phone) and closing one with its outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from children.audit import log_access
from children.models import AccessAction
from core import clock, permissions, scoping
from core.district_rules import DistrictRuleView
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.storage import StorageUnavailable
from matching import selectors, services
from matching.forms import CloseForm, FindingRuleForm, MappingForm, UploadForm
from matching.models import (
    Finding,
    FindingRuleSet,
    ListImport,
    ListImportStatus,
    Outcome,
    RuleCode,
)
from matching.rules import describe
from matching.sources import SOURCES, SourceKind
from org.models import Region

PAGE_SIZE = 50


def _districts(request: AuthenticatedRequest) -> list[Region]:
    districts = permissions.managed_districts(request.user)
    if not districts:
        raise Http404
    return districts


@require_http_methods(["GET", "POST"])
def lists(request: AuthenticatedRequest) -> HttpResponse:
    districts = _districts(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = services.list_dry_run(
                by=request.user,
                district=districts[0],
                source=form.cleaned_data["source"],
                upload=upload,
            )
        except StorageUnavailable as exc:
            add_service_errors(form, exc)
        else:
            log_access(
                request,
                AccessAction.IMPORT,
                scope=f"{record.source}:{record.original_name}"[:300],
                row_count=record.row_count,
            )
            return redirect("matching:list_detail", pk=record.pk)
    return render(
        request,
        "matching/lists.html",
        {
            "form": form,
            "imports": selectors.imports_for(request.user)[:50],
            "district": districts[0],
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def list_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _districts(request)
    record = scoping.get_visible_or_404(selectors.imports_for(request.user), request.user, pk=pk)
    if request.method == "POST":
        permissions.require_work(request.user)
        record, done = services.list_import_request(by=request.user, pk=record.pk)
        log_access(
            request,
            AccessAction.IMPORT,
            scope=f"{record.source}:{record.original_name}"[:300],
            row_count=record.row_count,
        )
        if done:
            messages.success(request, _("The list has been imported and matched."))
        return redirect("matching:list_detail", pk=record.pk)
    return _list_page(request, record, None)


@require_GET
def list_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """While a queued list is importing, its note (htmx asks every few seconds); once it is
    done or failed, the page is reloaded to show what happened."""
    _districts(request)
    record = scoping.get_visible_or_404(selectors.imports_for(request.user), request.user, pk=pk)
    if record.status != ListImportStatus.IMPORTING:
        return HttpResponseClientRefresh()
    return render(request, "matching/_importing.html", {"record": record})


def _list_page(
    request: AuthenticatedRequest, record: ListImport, mapping: MappingForm | None
) -> HttpResponse:
    errors = record.errors
    if mapping is None and record.status == ListImportStatus.PREVIEWED:
        columns = services.list_columns(record)
        if columns:
            mapping = MappingForm(
                source=SOURCES[record.source], columns=columns, current=record.headers
            )
    return render(
        request,
        "matching/list_detail.html",
        {
            "record": record,
            "mapping": mapping,
            "file_errors": [e for e in errors if not e["row"]],
            "row_errors": [e for e in errors if e["row"]],
            "bad_rows": len({e["row"] for e in errors if e["row"]}),
        },
        status=400 if mapping is not None and mapping.errors else 200,
    )


@require_POST
def list_columns(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The columns chosen by hand, and the list checked again with them."""
    _districts(request)
    record = scoping.get_visible_or_404(selectors.imports_for(request.user), request.user, pk=pk)
    permissions.require_work(request.user)
    form = MappingForm(
        request.POST,
        source=SOURCES[record.source],
        columns=services.list_columns(record),
        current=record.headers,
    )
    if not form.is_valid():
        return _list_page(request, record, form)
    record = services.list_remap(by=request.user, pk=record.pk, headers=form.mapping())
    if not record.errors:
        messages.success(request, _("The list has been checked again with these columns."))
    return redirect("matching:list_detail", pk=record.pk)


@require_http_methods(["GET", "POST"])
def review(request: AuthenticatedRequest) -> HttpResponse:
    _districts(request)
    rows = selectors.review_rows(request.user)
    if request.method == "POST":
        permissions.require_work(request.user)
        pk = request.POST.get("row", "")
        row = scoping.get_visible_or_404(rows, request.user, pk=pk if pk.isdigit() else 0)
        services.review_decide(
            by=request.user, row=row, confirm=request.POST.get("decision") == "confirm"
        )
        messages.success(request, _("The match has been reviewed."))
        return redirect("matching:review")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "matching/review.html", {"page": page})


def findings(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.may_see_findings(request.user):
        raise Http404
    found = selectors.findings_for(request.user, request.GET)
    group = request.GET.get("by") or "source"
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {
        **dict(SourceKind.choices),
        **dict(RuleCode.choices),
        **dict(Outcome.choices),
        "": _("Open"),
    }
    rows = selectors.summary(found, group)
    for row in rows:
        row["label"] = row["name"] if group == "village" else labels.get(row["key"], row["key"])
    return render(
        request,
        "matching/findings.html",
        {
            "page": page,
            "summary": rows,
            "group": group,
            "sources": SourceKind.choices,
            "rules": RuleCode.choices,
            "outcomes": Outcome.choices,
            "params": request.GET,
        },
    )


def my_findings(request: AuthenticatedRequest) -> HttpResponse:
    found = selectors.my_findings(request.user)
    return render(request, "matching/my_findings.html", {"findings": found, "today": clock.today()})


@require_http_methods(["GET", "POST"])
def finding_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    finding = scoping.get_visible_or_404(
        Finding.objects.select_related("village", "child", "row", "list_import"),
        request.user,
        pk=pk,
    )
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_close(by=request.user, finding=finding, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The finding has been closed."))
            return redirect("matching:finding", pk=finding.pk)
    return render(
        request,
        "matching/finding.html",
        {
            "finding": finding,
            "text": describe(finding),
            "form": form,
            "may_close": not finding.done and services.may_close(request.user, finding),
        },
        status=400 if form.errors else 200,
    )


class FindingRulePage(DistrictRuleView):
    model = FindingRuleSet
    form_class = FindingRuleForm
    template_name = "includes/simple_form.html"
    saved_message = gettext_lazy("The finding rules have been saved.")

    def districts(self) -> list[Region]:
        return permissions.managed_districts(self.request.user)

    def chosen(self) -> str:
        return self.request.GET.get("district") or ""

    def check_post(self) -> None:
        permissions.require_work(self.request.user)

    def success_url(self, district: Region) -> str:
        return self.request.get_full_path()

    def context(
        self, form: forms.BaseForm, district: Region, districts: Sequence[Region]
    ) -> dict[str, Any]:
        return {
            "form": form,
            "title": _("Finding rules of %(district)s") % {"district": district.name},
            "back": "matching:lists",
        }


finding_rules = FindingRulePage.as_view()
