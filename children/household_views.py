"""Pages of a household (children.household): the household page (members, shared facts,
the guardianship capacity assessment), editing the shared facts, recording an assessment,
joining a registered child to a family, and finding a family by phone or name."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from children import household
from children.household_forms import AssessmentForm, FamilySearchForm, HouseholdForm
from children.models import Child
from children.models_household import CAPACITY_ITEMS, Household
from children.views import _require_editor, _require_records, _visible_child
from core import permissions, scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest


def _visible_household(request: AuthenticatedRequest, pk: int) -> Household:
    return scoping.get_visible_or_404(
        Household.objects.select_related("village__parent"), request.user, pk=pk
    )


def household_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    home = _visible_household(request, pk)
    members = list(
        Child.objects.visible_to(request.user)
        .filter(household=home)
        .select_related("village")
        .order_by("status", "birth_date", "pk")
    )
    active = [c for c in members if c.status == "active"]
    assessments = list(home.assessments.select_related("created_by")[:10])
    return render(
        request,
        "children/household_detail.html",
        {
            "household": home,
            "members": members,
            "visit_child": active[0] if active else None,
            "parents": household.parent_display(home),
            "assessments": [
                (
                    a,
                    [
                        (label, getattr(a, f"get_{name}_display")())
                        for name, label in CAPACITY_ITEMS
                    ],
                )
                for a in assessments
            ],
            "can_edit": permissions.can_edit_archives(request.user),
            "can_add": permissions.can_add_records(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def household_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    home = _visible_household(request, pk)
    form = HouseholdForm(
        request.POST or None,
        household=home,
        show_identifiers=permissions.can_view_identifier(request.user),
    )
    if request.method == "POST" and form.is_valid():
        fields, parents, carer_id = form.values()
        try:
            results = household.household_save(
                by=request.user,
                household=home,
                fields=fields,
                parents=parents,
                carer_id_number=carer_id,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            changed = sum(1 for r in results if r.changed)
            messages.success(
                request,
                _("Saved: %(count)d children's archives changed.") % {"count": changed},
            )
            return redirect("children:household", pk=home.pk)
    return render(
        request,
        "children/household_form.html",
        {"form": form, "household": home, "title": _("Edit the household")},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def assessment_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_records(request)
    home = _visible_household(request, pk)
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assessment, created = household.assessment_record(
                by=request.user,
                household=home,
                values=form.values(),
                client_token=form.cleaned_data["client_token"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(
                    request,
                    _("Assessment saved: %(result)s.")
                    % {"result": assessment.get_result_display()},
                )
            else:
                messages.info(request, _("This assessment was already saved."))
            return redirect("children:household", pk=home.pk)
    return render(
        request,
        "children/household_assessment_form.html",
        {"form": form, "household": home, "title": _("Assess the guardianship capacity")},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def child_household(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A registered child joins a family of its village (a sibling's household, formed if
    the sibling has none), or leaves its household."""
    _require_editor(request)
    child = _visible_child(request, pk)
    families = household.families_matching(
        request.user,
        village=child.village,
        phones=[child.carer_phone, *(p.phone for p in child.parents.all())],
        names=[child.carer_name, *(p.name for p in child.parents.all())],
        exclude=child.pk,
    )
    families = [f for f in families if f.household is None or f.household.pk != child.household_id]
    if request.method == "POST":
        key = request.POST.get("family", "")
        try:
            if key == "leave":
                household.household_leave(by=request.user, child=child)
                messages.success(request, _("The child has left the household."))
                return redirect("children:detail", pk=child.pk)
            home = _family(request, key)
            household.household_join(by=request.user, child=child, household=home)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The child has joined the household."))
            return redirect("children:household", pk=home.pk)
    return render(
        request,
        "children/household_join.html",
        {"child": child, "families": families, "title": _("Household")},
    )


def _family(request: AuthenticatedRequest, key: str) -> Household:
    """The household a `family` value names: "h<pk>" a household, "c<pk>" a sibling (whose
    household is formed if it has none)."""
    if key[:1] == "h" and key[1:].isdigit():
        return _visible_household(request, int(key[1:]))
    if key[:1] == "c" and key[1:].isdigit():
        sibling = _visible_child(request, int(key[1:]))
        return household.household_of(by=request.user, child=sibling)
    raise ValidationError({"family": [_("Choose a family.")]})


def family_find(request: AuthenticatedRequest) -> HttpResponse:
    """Find a family by a parent's or the carer's phone or name, to register a sibling."""
    form = FamilySearchForm(request.GET or None)
    families: list[household.Family] = []
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"]
        families = household.families_matching(request.user, phones=[q], names=[q])
    return render(
        request,
        "children/family_find.html",
        {"form": form, "families": families, "title": _("Find a family")},
    )
