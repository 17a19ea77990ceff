"""Pages for coverage (R1) and staff management by district civil-affairs staff."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import permissions, scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.roles import Role
from org import selectors, services
from org.forms import (
    AssignmentEndForm,
    AssignmentForm,
    StaffEditForm,
    StaffFilterForm,
    StaffForm,
)
from org.models import Assignment, Region, User


def _require_staff_manager(request: AuthenticatedRequest) -> None:
    if not permissions.can_manage_staff(request.user):
        raise PermissionDenied(_("Only district civil-affairs staff manage staff."))


def coverage(request: AuthenticatedRequest) -> HttpResponse:
    scope = scoping.get_scope(request.user)
    if not scope.has_role(Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE):
        raise PermissionDenied(_("Coverage is reviewed by supervisors and district staff."))
    gaps = selectors.coverage_gaps(request.user)
    return render(request, "org/coverage.html", {"coverage": gaps})


def staff_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_staff_manager(request)
    form = StaffFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    sort = request.GET.get("sort", "name")
    staff = selectors.staff_list(
        request.user,
        query=filters.get("q", ""),
        role=filters.get("role", ""),
        status=filters.get("status", ""),
        sort=sort,
    )
    page = Paginator(staff, 25).get_page(request.GET.get("page"))
    return render(request, "org/staff_list.html", {"form": form, "page": page, "sort": sort})


@require_http_methods(["GET", "POST"])
def staff_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_staff_manager(request)
    districts = permissions.managed_districts(request.user)
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff, password = services.staff_create(
                by=request.user,
                district=districts[0],
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # The one-time password is shown in this response only, never stored in clear.
            return render(request, "org/staff_created.html", {"staff": staff, "password": password})
    return render(request, "org/staff_form.html", {"form": form, "district": districts[0]})


def _visible_staff(request: AuthenticatedRequest, pk: int) -> User:
    return scoping.get_visible_or_404(User.objects.all(), request.user, pk=pk)


def _render_staff_detail(
    request: AuthenticatedRequest, staff: User, form: AssignmentForm, status: int = 200
) -> HttpResponse:
    assignments = selectors.staff_assignments(staff)
    context = {"staff": staff, "assignments": assignments, "assignment_form": form}
    return render(request, "org/staff_detail.html", context, status=status)


def staff_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_staff_manager(request)
    staff = _visible_staff(request, pk)
    return _render_staff_detail(
        request,
        staff,
        AssignmentForm(regions=_assignable_regions(request)),
    )


@require_http_methods(["GET", "POST"])
def staff_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_staff_manager(request)
    staff = _visible_staff(request, pk)
    form = StaffEditForm(request.POST or None, instance=staff)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(
                by=request.user,
                staff=User.objects.get(pk=staff.pk),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:staff_detail", pk=staff.pk)
    return render(request, "org/staff_edit.html", {"form": form, "staff": staff})


@require_POST
def staff_reset_password(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_staff_manager(request)
    staff = _visible_staff(request, pk)
    password = services.staff_reset_password(by=request.user, staff=staff)
    return render(
        request, "org/staff_created.html", {"staff": staff, "password": password, "reset": True}
    )


def _assignable_regions(request: AuthenticatedRequest) -> QuerySet[Region]:
    return selectors.assignable_regions(permissions.managed_scope(request.user))


@require_POST
def assignment_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_staff_manager(request)
    staff = _visible_staff(request, pk)
    form = AssignmentForm(request.POST, regions=_assignable_regions(request))
    if form.is_valid():
        try:
            services.assignment_create(
                by=request.user,
                user=staff,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Assignment added."))
            return redirect("org:staff_detail", pk=staff.pk)
    return _render_staff_detail(request, staff, form, status=400)


@require_http_methods(["GET", "POST"])
def assignment_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_staff_manager(request)
    assignment = scoping.get_visible_or_404(
        Assignment.objects.select_related("user", "region"), request.user, pk=pk
    )
    form = AssignmentEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_end(
                by=request.user,
                assignment=assignment,
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["end_reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Assignment ended; it stays in the history."))
            return redirect("org:staff_detail", pk=assignment.user_id)
    return render(request, "org/assignment_end.html", {"form": form, "assignment": assignment})
