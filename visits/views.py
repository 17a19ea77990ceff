"""Pages of visits: "my work", logging and correcting a visit, village inspections and the
district's cadence rule. Rules are in visits.services; reads in visits.selectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from children import household
from children.choices import Status
from children.models import Child
from children.models_risk import RiskRule
from core import clock, permissions, scoping
from core.calendar import quarter_label
from core.district_rules import DistrictRule, DistrictRuleView, rule_fields
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from org.models import Region, User
from visits import followups, selectors, services, worklist
from visits import inspections as village_inspections  # `inspections` is a view here
from visits.forms import (
    CadenceRuleForm,
    CorrectionForm,
    DoneForm,
    FollowUpForm,
    InspectionForm,
    RiskRuleForm,
    VisitForm,
)
from visits.models import CadenceRule, FollowUp, Inspection, Rectification, Visit, VisitKind

PAGE_SIZE = 25


def my_work(request: AuthenticatedRequest) -> HttpResponse:
    """What to do first (danger and urgent follow-ups, rectification items due, overdue
    items), then the children by village, then what can wait (visits.worklist)."""
    today = clock.today()
    user: User = request.user
    villages = selectors.work_villages(user)
    children = selectors.work_children(user, today)
    page = Paginator(children, PAGE_SIZE).get_page(request.GET.get("page"))
    items = worklist.split_items(
        list(selectors.open_follow_ups(user, today)),
        # A director's village: the rectification items of its inspections (R16), to close.
        list(selectors.open_rectifications(user, today)) if villages else [],
        today,
    )
    context = {
        "page": page,
        "rows": worklist.word_rows(page.object_list, today),
        "today": today,
        "compliance": selectors.compliance(villages, today),
        "can_add": permissions.can_add_records(user),
        "OVERDUE": selectors.OVERDUE,
        "DUE_SOON": selectors.DUE_SOON,
        "first": items.first,
        "follow_ups": items.follow_ups,
        "rectifications": items.rectifications,
        "can_close": not permissions.work_refusal(user),
    }
    return render(request, "visits/my_work.html", context)


def compliance(request: AuthenticatedRequest) -> HttpResponse:
    """Compliance of a supervisor's towns (by village) and civil affairs' districts (by town)."""
    today = clock.today()
    areas = selectors.compliance_areas(request.user)
    if not areas:
        raise Http404
    return render(
        request,
        "visits/compliance.html",
        {
            "areas": [selectors.area_compliance(request.user, a, today) for a in areas],
            "month": today,
            "quarter": quarter_label(today),
        },
    )


@require_http_methods(["POST"])
def follow_up_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark a follow-up item done (visits.followups.followup_done). Without JavaScript:
    back to `next` (or "my work") with a message; through htmx: the item's row, re-rendered."""
    item = scoping.get_visible_or_404(
        FollowUp.objects.select_related("visit__child", "done_by"), request.user, pk=pk
    )
    return _complete(
        request, item, followups.followup_done, "visits:my_work", "visits/follow_up_item.html"
    )


@require_http_methods(["POST"])
def rectification_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark a rectification item done (visits.inspections.rectification_done): the town's
    supervisor or the village's director; otherwise as follow_up_done."""
    item = scoping.get_visible_or_404(
        Rectification.objects.select_related("inspection__village", "done_by"),
        request.user,
        pk=pk,
    )
    return _complete(
        request,
        item,
        village_inspections.rectification_done,
        "visits:inspections",
        "visits/rectification_item.html",
    )


def _back(request: AuthenticatedRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _complete(
    request: AuthenticatedRequest, item: Any, service: Any, back: str, row_template: str
) -> HttpResponse:
    form = DoneForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            item = service(
                by=request.user,
                item=item,
                done_on=form.cleaned_data["done_on"],
                note=form.cleaned_data["done_note"],
            )
        except ValidationError as exc:
            errors = exc.messages
    else:
        errors = [str(message) for messages_ in form.errors.values() for message in messages_]
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "item": item,
            "today": clock.today(),
            "can_close": True,
            "in_list": request.POST.get("in_list") == "1",
            "next": _back(request, back),
            "errors": errors,
        }
        return render(request, row_template, context)
    if errors:
        for message in errors:
            messages.error(request, message)
    else:
        messages.success(request, _("Marked done."))
    return redirect(_back(request, back))


def _require_visits(request: AuthenticatedRequest) -> None:
    permissions.require_work(request.user)  # the certification gate explains itself
    if not permissions.can_add_records(request.user):
        raise PermissionDenied(_("Your role does not log visits."))


@require_http_methods(["GET", "POST"])
def visit_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_visits(request)
    children = Child.objects.visible_to(request.user).filter(status=Status.ACTIVE)
    child = None
    if request.GET.get("child"):
        child = scoping.get_visible_or_404(
            Child.objects.all(), request.user, pk=request.GET["child"]
        )
    initial: dict[str, Any] = {"child": child.pk} if child else {}
    if child is not None and child.is_key:
        initial["kind"] = VisitKind.HOME  # key children are visited at home every month
    siblings = household.siblings_of(request.user, child) if child is not None else []
    form = VisitForm(request.POST or None, children=children, initial=initial, siblings=siblings)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["child"]
        try:
            visit, created = services.visit_record(
                by=request.user,
                child=chosen,
                values=form.visit_values(),
                follow_ups=form.follow_ups(),
                client_uuid=form.cleaned_data["client_uuid"],
                siblings=form.sibling_inputs(
                    siblings if child is not None else household.siblings_of(request.user, chosen)
                ),
                child_note=form.cleaned_data.get("child_note") or "",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not created:
                messages.info(request, _("This visit was already saved."))
            elif visit.danger_found:
                messages.error(
                    request,
                    _(
                        "Danger found: an urgent follow-up was added. File a mandatory report "
                        "with the police now."
                    ),
                )
                # Straight to the mandatory report (R17), prefilled from the visit.
                return redirect(
                    f"{reverse('reports:create')}?child={visit.child_id}&visit={visit.pk}"
                )
            elif visit.household_uuid is not None:
                messages.success(
                    request, _("The visit has been saved for each child of the household.")
                )
            else:
                messages.success(request, _("The visit has been saved."))
            return redirect("visits:detail", pk=visit.pk)
    elif child is not None and child.status != Status.ACTIVE and request.method == "GET":
        form.add_error(None, _("This archive is closed: reopen it before logging a visit."))
    return render(
        request,
        "visits/visit_form.html",
        {"form": form, "child": child, "title": _("Log a visit")},
        status=400 if form.errors and request.method == "POST" else 200,
    )


def _visible_visit(request: AuthenticatedRequest, pk: int) -> Visit:
    return scoping.get_visible_or_404(
        Visit.objects.select_related("child__village", "author"), request.user, pk=pk
    )


def visit_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _render_visit(request, _visible_visit(request, pk), FollowUpForm())


def _render_visit(
    request: AuthenticatedRequest, visit: Visit, follow_up_form: FollowUpForm, status: int = 200
) -> HttpResponse:
    user: User = request.user
    _needs_reason, refusal = services.visit_correction_refusal(user, visit)
    history = visit.history.select_related("history_user").order_by("-history_date")[:20]
    may_work = not permissions.work_refusal(user)
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "follow_ups": visit.follow_ups.select_related("done_by"),
            "history": history,
            "can_correct": refusal is None and may_work,
            "can_close": may_work and followups.may_complete_follow_ups_of(user, visit),
            "follow_up_form": follow_up_form,
            "today": clock.today(),
            # The reports filed from this visit (reports.MandatoryReport.visit), as the user
            # may see them; the relation is the reports app's, read here by its name.
            "reports": list(visit.mandatory_reports.visible_to(user).order_by("created_at", "pk")),
            "household_visits": services.household_visits(user, visit),
        },
        status=status,
    )


@require_http_methods(["POST"])
def follow_up_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Add a follow-up item to a saved visit (visits.followups.followup_add)."""
    visit = _visible_visit(request, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            followups.followup_add(by=request.user, visit=visit, item=form.item())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The follow-up item has been added."))
            return redirect("visits:detail", pk=visit.pk)
    return _render_visit(request, visit, form, status=400)


def visit_list(request: AuthenticatedRequest) -> HttpResponse:
    params = {k: request.GET.get(k) for k in ("child", "kind", "date_from", "date_to")}
    if params["child"] and not str(params["child"]).isdigit():
        params["child"] = None
    visits = selectors.visits_for(request.user, params)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "visits/visit_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def visit_correct(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    visit = _visible_visit(request, pk)
    permissions.require_work(request.user)
    needs_reason, refusal = services.visit_correction_refusal(request.user, visit)
    if refusal:
        raise PermissionDenied(refusal)
    initial = {name: getattr(visit, name) for name in services.VISIT_FIELDS}
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_correct(
                by=request.user,
                visit=visit,
                values=form.visit_values(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The visit has been corrected."))
            return redirect("visits:detail", pk=visit.pk)
    return render(
        request,
        "visits/visit_form.html",
        {
            "form": form,
            "child": visit.child,
            "visit": visit,
            "needs_reason": needs_reason,
            "title": _("Correct a visit"),
        },
        status=400 if form.errors else 200,
    )


def inspections(request: AuthenticatedRequest) -> HttpResponse:
    today = clock.today()
    villages = list(selectors.villages_with_inspection(request.user, today))
    recent = selectors.recent_inspections(request.user)[:PAGE_SIZE]
    return render(
        request,
        "visits/inspections.html",
        {
            "villages": villages,
            "missing": len([v for v in villages if not getattr(v, "inspected", False)]),
            "quarter": quarter_label(today),
            "recent": recent,
            "can_inspect": bool(villages) and not permissions.work_refusal(request.user),
            "rectifications": selectors.open_rectifications(request.user, today),
            # Listed items are those of the user's towns (supervisor) or villages (director).
            "can_close_rectifications": not permissions.work_refusal(request.user),
            "today": today,
        },
    )


@require_http_methods(["GET", "POST"])
def inspection_create(request: AuthenticatedRequest) -> HttpResponse:
    permissions.require_work(request.user)
    villages = selectors.supervised_villages(request.user)
    if not villages.exists():
        raise PermissionDenied(_("Village inspections are recorded by the town's supervisor."))
    initial: dict[str, Any] = {}
    if request.GET.get("village", "").isdigit():
        initial["village"] = request.GET["village"]
    form = InspectionForm(request.POST or None, villages=villages, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            inspection, _created = village_inspections.inspection_record(
                by=request.user,
                village=form.cleaned_data["village"],
                inspected_on=form.cleaned_data["inspected_on"],
                checklist=form.checklist(),
                findings=form.cleaned_data["findings"],
                rectifications=form.rectifications(),
                client_uuid=form.cleaned_data["client_uuid"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The inspection has been saved."))
            return redirect("visits:inspection_detail", pk=inspection.pk)
    return render(
        request,
        "includes/simple_form.html",
        {"form": form, "title": _("Record a village inspection"), "back": "visits:inspections"},
        status=400 if form.errors else 200,
    )


def inspection_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    inspection = scoping.get_visible_or_404(
        Inspection.objects.select_related("village", "supervisor"), request.user, pk=pk
    )
    may_work = not permissions.work_refusal(request.user)
    user: User = request.user
    return render(
        request,
        "visits/inspection_detail.html",
        {
            "inspection": inspection,
            "rectifications": inspection.rectifications.select_related("done_by"),
            "can_close": may_work
            and village_inspections.may_complete_rectification(user, inspection),
            "today": clock.today(),
        },
    )


class CadenceRulePage(DistrictRuleView):
    """The visit cadence of a district the user manages; saving applies it to every child of
    the district (visits.services.cadence_rule_save)."""

    model: type[DistrictRule] = CadenceRule
    form_class: type[forms.Form] = CadenceRuleForm
    template_name = "includes/simple_form.html"
    saved_message = gettext_lazy(
        "The cadence has been saved and applied to every child of the district."
    )

    def districts(self) -> list[Region]:
        return permissions.managed_districts(self.request.user)

    def chosen(self) -> str:
        return self.request.GET.get("district") or ""

    def check_post(self) -> None:
        permissions.require_work(self.request.user)

    def save(self, rule: DistrictRule, form: forms.BaseForm) -> None:
        services.cadence_rule_save(
            by=self.request.user,
            district=rule.district,
            values=form.cleaned_data,
        )

    def success_url(self, district: Region) -> str:
        return self.request.get_full_path()

    def context(
        self, form: forms.BaseForm, district: Region, districts: Sequence[Region]
    ) -> dict[str, Any]:
        return {
            "form": form,
            "title": _("Visit cadence of %(district)s") % {"district": district.name},
            "back": "visits:my_work",
        }


cadence_rule = CadenceRulePage.as_view()


class RiskRulePage(CadenceRulePage):
    """The risk weights and thresholds of a district the user manages; saving recomputes every
    child's level set-based and moves the due dates (visits.services.risk_rule_save)."""

    model = RiskRule
    form_class = RiskRuleForm
    saved_message = gettext_lazy(
        "The risk rule has been saved and every child's risk level recomputed."
    )

    def make_form(self, rule: DistrictRule) -> forms.BaseForm:
        initial = {name: getattr(rule, name) for name in rule_fields(RiskRule)}
        return RiskRuleForm(self.request.POST or None, initial=initial)

    def save(self, rule: DistrictRule, form: forms.BaseForm) -> None:
        services.risk_rule_save(
            by=self.request.user, district=rule.district, values=form.cleaned_data
        )

    def context(
        self, form: forms.BaseForm, district: Region, districts: Sequence[Region]
    ) -> dict[str, Any]:
        return {
            "form": form,
            "title": _("Risk levels of %(district)s") % {"district": district.name},
            "back": "visits:my_work",
        }


risk_rule = RiskRulePage.as_view()
