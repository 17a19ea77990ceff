"""Pages of case plans: the list (children who need a plan and have none, the plans), the
approval queue (a supervisor's laptop), a plan (its needs, goals, actions, decisions and
reviews; submit, decide, mark an action done), the plan's form (a director's phone), the
review, "my actions" and the district's rule."""

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
from django.views.decorators.http import require_http_methods, require_POST

from caseplans import rules, selectors, services
from caseplans.forms import ActionDoneForm, CasePlanRuleForm, DecisionForm, PlanForm, ReviewForm
from caseplans.models import EDITABLE_STATUSES, CasePlan, CasePlanRule, PlanAction, PlanStatus
from children.models import Child
from core import clock, permissions, scoping
from core.district_rules import DistrictRuleView
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from org.models import Region

PAGE_SIZE = 50


def _sees_children(request: AuthenticatedRequest) -> None:
    if not scoping.get_scope(request.user).prefixes:
        raise Http404


def plan_list(request: AuthenticatedRequest) -> HttpResponse:
    _sees_children(request)
    plans = selectors.plans_for(request.user, request.GET)
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "caseplans/list.html",
        {
            "page": page,
            "without": list(selectors.children_without_plan(request.user)[:PAGE_SIZE]),
            "statuses": PlanStatus.choices,
            "params": request.GET,
            "today": clock.today(),
        },
    )


def queue(request: AuthenticatedRequest) -> HttpResponse:
    scope = scoping.get_scope(request.user)
    if not scope.has_role(*rules.SUPERVISOR_ROLES, *rules.CASE_ROLES):
        raise Http404
    page = Paginator(selectors.approval_queue(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "caseplans/queue.html", {"page": page})


def _plan(request: AuthenticatedRequest, pk: int) -> CasePlan:
    return scoping.get_visible_or_404(selectors.plan_detail_queryset(), request.user, pk=pk)


def plan_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    return _detail(request, plan)


def _detail(
    request: AuthenticatedRequest,
    plan: CasePlan,
    decision: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    writer = rules.may_write(user, plan.child) and not permissions.work_refusal(user)
    approver = rules.may_approve(user, plan) and not permissions.work_refusal(user)
    return render(
        request,
        "caseplans/detail.html",
        {
            "plan": plan,
            "needs": plan.need_rows(),
            "actions": list(plan.actions.all()),
            "may_edit": writer and plan.status in EDITABLE_STATUSES,
            "may_submit": writer and plan.status in EDITABLE_STATUSES,
            "may_review": writer and plan.status == PlanStatus.APPROVED,
            "may_decide": approver and plan.status == PlanStatus.REQUESTED,
            # The done form on the actions the user may mark: all of them for the director,
            # a named person's own.
            "may_complete": plan.status == PlanStatus.APPROVED
            and not permissions.work_refusal(user),
            "completes_all": rules.may_write(user, plan.child),
            "decision_form": decision or DecisionForm(),
            "today": clock.today(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def plan_create(request: AuthenticatedRequest) -> HttpResponse:
    raw = request.GET.get("child") or request.POST.get("child") or ""
    child = scoping.get_visible_or_404(
        Child.objects.select_related("village"), request.user, pk=raw if raw.isdigit() else 0
    )
    if not rules.may_write(request.user, child):
        raise Http404
    return _plan_form(request, child, None)


@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if not rules.may_write(request.user, plan.child) or plan.status not in EDITABLE_STATUSES:
        raise Http404
    return _plan_form(request, plan.child, plan)


def _plan_form(request: AuthenticatedRequest, child: Child, plan: CasePlan | None) -> HttpResponse:
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        who=selectors.who_choices(child),
        plan=plan,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved, _written = services.plan_save(
                by=request.user,
                child=child,
                plan=plan,
                client_uuid=form.cleaned_data["client_uuid"] if plan is None else None,
                **form.values(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The case plan has been saved."))
            return redirect("caseplans:detail", pk=saved.pk)
    return render(
        request,
        "caseplans/form.html",
        {
            "form": form,
            "child": child,
            "plan": plan,
            "needs_plan": rules.needs_plan(child),
            "open_report": rules.open_report(child) if plan is None else plan.report,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def plan_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        services.plan_submit(by=request.user, plan=plan, comment=request.POST.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The case plan has been submitted for approval."))
    return redirect("caseplans:detail", pk=plan.pk)


@require_POST
def plan_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if not rules.may_approve(request.user, plan):
        raise Http404
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.plan_decide(
                by=request.user,
                plan=plan,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The case plan has been approved.")
                if form.cleaned_data["decision"] == "approve"
                else _("The case plan has been returned."),
            )
            return redirect("caseplans:queue")
    return _detail(request, _plan(request, pk), decision=form, status=400)


@require_POST
def action_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    action = scoping.get_visible_or_404(
        PlanAction.objects.select_related("plan__child"), request.user, pk=pk
    )
    form = ActionDoneForm(request.POST)
    if form.is_valid():
        try:
            services.action_done(
                by=request.user, action=action, note=form.cleaned_data["done_note"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The action has been marked done."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    back = request.POST.get("next") or ""
    if back == "mine":
        return redirect("caseplans:mine")
    return redirect("caseplans:detail", pk=action.plan_id)


@require_http_methods(["GET", "POST"])
def plan_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if not rules.may_write(request.user, plan.child) or plan.status != PlanStatus.APPROVED:
        raise Http404
    form = ReviewForm(request.POST if request.method == "POST" else None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_review(
                by=request.user,
                plan=plan,
                progress=form.progress(),
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                review_on=form.cleaned_data["review_on"],
                client_uuid=form.cleaned_data["client_uuid"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The review has been recorded."))
            return redirect("caseplans:detail", pk=plan.pk)
    return render(
        request,
        "caseplans/review.html",
        {"form": form, "plan": plan},
        status=400 if form.errors else 200,
    )


def my_actions(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "caseplans/mine.html",
        {"actions": selectors.my_actions(request.user), "today": clock.today()},
    )


class CasePlanRulePage(DistrictRuleView):
    model = CasePlanRule
    form_class = CasePlanRuleForm
    template_name = "includes/simple_form.html"
    saved_message = gettext_lazy("The case plan rule has been saved.")

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
            "title": _("Case plan rule of %(district)s") % {"district": district.name},
            "back": "caseplans:list",
        }


case_plan_rule = CasePlanRulePage.as_view()
