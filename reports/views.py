"""Pages of mandatory reports: filing from a phone, the case page with its timeline, and the
open-cases list. Rules are in reports.filing, reports.workflow and reports.sharing; reads in
reports.selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from children.audit import log_access
from children.models import AccessAction, Child
from children.picker import PICKER_LIMIT, picker_children
from core import clock, permissions, scoping
from core.district_rules import DistrictRuleView
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.regions import Level
from core.roles import Role
from org.models import Region, User
from reports import filing, selectors, sharing, workflow
from reports.forms import (
    DeadlineRuleForm,
    LinkChildForm,
    ReportForm,
    RevokeForm,
    ShareForm,
    StepForm,
)
from reports.models import MandatoryReport, ReportDeadlineRule, ReportStep
from visits.models import Visit

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def report_create(request: AuthenticatedRequest) -> HttpResponse:
    """File a report; `?child=` chooses the child, `?visit=` files it from a visit (a danger
    found): the form starts from the visit's date, time, place and findings, and the report
    is linked to it."""
    user: User = request.user
    if not filing.may_file(user):
        raise PermissionDenied(_("Your role does not file reports here."))
    child = visit = None
    initial: dict[str, Any] = {}
    if request.GET.get("visit"):
        visit = scoping.get_visible_or_404(
            Visit.objects.select_related("child"), user, pk=request.GET["visit"]
        )
        child = visit.child
        initial = filing.from_visit(visit)
    elif request.GET.get("child"):
        child = scoping.get_visible_or_404(Child.objects.all(), user, pk=request.GET["child"])
        initial = {"child": child.pk}
    form = ReportForm(
        request.POST or None,
        children=Child.objects.visible_to(user),
        villages=Region.objects.visible_to(user).filter(level=Level.VILLAGE),
        visits=Visit.objects.visible_to(user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            report, created = filing.report_file(
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
    # Without JavaScript the picker cannot search: a plain GET search (?q=) lists the matching
    # children in scope, each a link to ?child= (issue 15).
    text = "" if child else request.GET.get("q", "").strip()
    found = picker_children(user, text) if text else None
    return render(
        request,
        "reports/report_form.html",
        {
            "form": form,
            "child": child,
            "visit": visit,
            "q": text,
            "found": found,
            "limit": PICKER_LIMIT,
            "filed_from_visit": (
                list(selectors.reports_for(user).filter(visit=visit)) if visit else []
            ),
        },
        status=400 if form.errors and request.method == "POST" else 200,
    )


def _visible_report(request: AuthenticatedRequest, pk: int) -> MandatoryReport:
    return scoping.get_visible_or_404(selectors.reports_for(request.user), request.user, pk=pk)


@require_http_methods(["GET", "POST"])
def report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user: User = request.user
    report = _visible_report(request, pk)
    steps = selectors.timeline(report)
    form = StepForm(request.POST or None, steps=ReportStep.objects.filter(report=report))
    if request.method == "POST":
        permissions.require_work(user)
        if form.is_valid():
            try:
                workflow.report_add_step(by=user, report=report, data=form.step_input())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The step has been recorded."))
                return redirect("reports:detail", pk=report.pk)
    else:
        log_access(request, AccessAction.VIEW, child=report.child, scope=f"report {report.pk}")
    now = clock.now()
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "steps": steps,
            "form": form,
            "now": now,
            "overdue": report.next_due_at is not None and report.next_due_at < now,
            "can_add": workflow.may_add_steps(user) and not permissions.work_refusal(user),
            "can_see_reporter": sharing.may_see_reporter(user, report),
            "flags": selectors.r19_flags([report])[report.pk],
            "link_form": (
                LinkChildForm(children=Child.objects.visible_to(user))
                if report.child_id is None
                else None
            ),
            "can_share": sharing.may_share(user, report),
        },
        status=400 if form.errors and request.method == "POST" else 200,
    )


def report_list(request: AuthenticatedRequest) -> HttpResponse:
    cases, filters = selectors.filter_cases(
        selectors.open_cases(request.user), request.GET, clock.now()
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    flags = selectors.r19_flags(rows)
    for row in rows:
        row.r19_flags = flags[row.pk]
    return render(
        request,
        "reports/report_list.html",
        {
            "page": page,
            "rows": rows,
            "now": clock.now(),
            "can_file": filing.may_file(request.user),
            "filters": filters,
        },
    )


# --- The district's deadlines ----------------------------------------------------------------


class DeadlineRulePage(DistrictRuleView):
    """The deadlines and escalation delay of a district the user serves as civil-affairs
    staff (like the reminder rule at /notifications/rules/)."""

    model = ReportDeadlineRule
    form_class = DeadlineRuleForm
    template_name = "reports/rules.html"
    saved_message = gettext_lazy("The deadlines are saved.")

    def districts(self) -> list[Region]:
        return scoping.get_scope(self.request.user).regions(Role.CIVIL_AFFAIRS)

    def current(self, district: Region) -> ReportDeadlineRule:
        rule = ReportDeadlineRule.objects.filter(district=district).first()
        if rule is None:
            defaults = workflow.default_rule()
            rule = ReportDeadlineRule(
                district=district, **{f: getattr(defaults, f) for f in workflow.RULE_FIELDS}
            )
        return rule

    def success_url(self, district: Region) -> str:
        return reverse("reports:rules_district", kwargs={"district_id": district.pk})


rules = DeadlineRulePage.as_view()


# --- Linking an unregistered child's report to an archive ------------------------------------


@require_POST
def report_link(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user: User = request.user
    report = _visible_report(request, pk)
    permissions.require_work(user)
    form = LinkChildForm(request.POST, children=Child.objects.visible_to(user))
    if form.is_valid():
        try:
            workflow.report_link_child(by=user, report=report, child=form.cleaned_data["child"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The report is linked to the child's archive."))
            return redirect("reports:detail", pk=report.pk)
    for error in form.errors.get("child", []):
        messages.error(request, str(error))
    return redirect("reports:detail", pk=report.pk)


# --- Explicit sharing ------------------------------------------------------------------------


def _shareable(request: AuthenticatedRequest, pk: int) -> MandatoryReport:
    """A report the user may share: otherwise 404, like anything out of reach."""
    report = _visible_report(request, pk)
    if not sharing.may_share(request.user, report):
        raise Http404
    return report


@require_http_methods(["GET", "POST"])
def report_share(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user: User = request.user
    report = _shareable(request, pk)
    form = ShareForm(
        request.POST or None,
        people=sharing.share_candidates(),
        search_url=reverse("reports:share_people", args=[report.pk]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            sharing.report_share(
                by=user,
                report=report,
                grantee=form.cleaned_data["grantee"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The case is shared."))
            return redirect("reports:share", pk=report.pk)
    return render(
        request,
        "reports/report_share.html",
        {
            "report": report,
            "form": form,
            "shared_with": sharing.shared_with(report),
            "revoke_form": RevokeForm(),
        },
        status=400 if form.errors else 200,
    )


@require_GET
def share_people(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The picker's results: at most PICKER_LIMIT active staff by username or real name."""
    _shareable(request, pk)
    people = list(
        sharing.share_candidates(request.GET.get("q", "")).only("pk", "username", "real_name")[
            :PICKER_LIMIT
        ]
    )
    return render(request, "reports/people_results.html", {"people": people, "limit": PICKER_LIMIT})


@require_POST
def report_revoke(request: AuthenticatedRequest, pk: int, user_id: int) -> HttpResponse:
    report = _shareable(request, pk)
    grantee = next((u for u in sharing.shared_with(report) if u.pk == user_id), None)
    if grantee is None:
        raise Http404
    form = RevokeForm(request.POST)
    form.is_valid()
    sharing.report_unshare(
        by=request.user,
        report=report,
        grantee=grantee,
        reason=form.cleaned_data.get("reason", ""),
    )
    messages.success(request, _("The sharing is revoked."))
    return redirect("reports:share", pk=report.pk)
