"""Pages of training (R6-R9): courses and materials, sessions, attendance and results (one by
one or from Excel), training files with export and print, who is due, district coverage and the
district's rotation setting. Reads start from training.selectors / the scoping module; writes go
through training.services."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, NoReturn

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core import clock, permissions, scoping
from core.district_rules import DistrictRule, DistrictRuleView
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.roles import Role
from core.spreadsheets import XLSX_TYPE
from core.storage import open_for_download, serves_stored_files
from org.models import Region, User
from training import importing, selectors, services
from training.file_workbook import training_file_write
from training.forms import (
    AttendanceForm,
    CourseForm,
    ImportForm,
    MaterialForm,
    PolicyForm,
    ResultForm,
    SessionForm,
)
from training.models import Course, Material, ResultImport, Session, TrainingPolicy


def _require_organiser(request: AuthenticatedRequest) -> None:
    permissions.require_work(request.user)
    if not services.can_organise(request.user):
        raise PermissionDenied(
            _("Training is organised by district civil affairs and town supervisors.")
        )


def _visible_session(request: AuthenticatedRequest, pk: int) -> Session:
    return scoping.get_visible_or_404(
        Session.objects.select_related("course", "region", "organised_by"), request.user, pk=pk
    )


def _managed_session(request: AuthenticatedRequest, pk: int) -> Session:
    session = _visible_session(request, pk)
    permissions.require_work(request.user)
    if not services.manages_session(request.user, session):
        raise PermissionDenied(_("Only the organiser of this session records its results."))
    return session


def index(request: AuthenticatedRequest) -> HttpResponse:
    """Sessions in the user's reach (organised there or invited to), newest first."""
    sessions = list(selectors.sessions_for(request.user)[:100])
    context = {
        "sessions": sessions,
        "can_organise": services.can_organise(request.user),
        "can_see_files": selectors.can_see_files(request.user),
        "is_district": scoping.get_scope(request.user).has_role(Role.CIVIL_AFFAIRS),
    }
    return render(request, "training/index.html", context)


# --- Courses ---------------------------------------------------------------------------------


def course_list(request: AuthenticatedRequest) -> HttpResponse:
    courses = Course.objects.visible_to(request.user).select_related("district")
    return render(
        request,
        "training/course_list.html",
        {"courses": courses, "can_organise": services.can_organise(request.user)},
    )


@require_http_methods(["GET", "POST"])
def course_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_organiser(request)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_save(
                by=request.user,
                title=form.cleaned_data["title"],
                topics=form.cleaned_data["topics"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The course has been saved."))
            return redirect("training:course_detail", pk=course.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "title": _("New course")},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def course_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    course = scoping.get_visible_or_404(
        Course.objects.select_related("district"), request.user, pk=pk
    )
    can_organise = services.can_organise(request.user)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _require_organiser(request)
        if form.is_valid():
            try:
                services.material_add(
                    by=request.user,
                    course=course,
                    upload=form.cleaned_data["file"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The material has been added."))
                return redirect("training:course_detail", pk=course.pk)
    context = {
        "course": course,
        "materials": course.materials.all(),
        "sessions": selectors.course_sessions(request.user, course),
        "form": form,
        "can_organise": can_organise,
    }
    return render(
        request, "training/course_detail.html", context, status=400 if form.errors else 200
    )


@serves_stored_files
def material_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A course material, only to users who may see the course."""
    material = get_object_or_404(Material.objects.select_related("course"), pk=pk)
    if not Course.objects.visible_to(request.user).filter(pk=material.course_id).exists():
        raise Http404
    stream = open_for_download(material.file.storage, material.file.name)
    response = FileResponse(stream, content_type=material.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=material.original_name) or ""
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Sessions --------------------------------------------------------------------------------


def _session_form(request: AuthenticatedRequest) -> SessionForm:
    user: User = request.user
    regions = services.organiser_regions(user)
    initial: dict[str, Any] = {"date": clock.today()}
    if len(regions) == 1:
        initial["region"] = regions[0].pk
        initial["organiser_level"] = "district" if regions[0].level == "district" else "town"
    return SessionForm(
        request.POST or None,
        courses=Course.objects.visible_to(user),
        regions=regions,
        people=services.session_invitees(regions=regions),
        initial=initial,
    )


@require_http_methods(["GET", "POST"])
def session_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_organiser(request)
    form = _session_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_save(
                by=request.user,
                data=form.to_input(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The session has been planned."))
            return redirect("training:session_detail", pk=session.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "title": _("Plan a training session")},
        status=400 if form.errors else 200,
    )


def session_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = _visible_session(request, pk)
    invitees = list(session.invitees.order_by("real_name", "pk"))
    if not scoping.get_scope(request.user).covers(session.region.code):
        # Invited only: a worker sees their own line, not their colleagues' scores.
        invitees = [p for p in invitees if p.pk == request.user.pk]
    attendance = {a.user_id: a for a in session.attendance.all()}
    results = {r.user_id: r for r in session.results.all()}
    manages = services.manages_session(request.user, session)
    rows = [
        {"person": p, "attendance": attendance.get(p.pk), "result": results.get(p.pk)}
        for p in invitees
    ]
    context = {
        "session": session,
        "rows": rows,
        "manages": manages and not permissions.work_refusal(request.user),
        "materials": session.course.materials.all(),
        "in_future": session.date > clock.today(),
    }
    return render(request, "training/session_detail.html", context)


@require_http_methods(["GET", "POST"])
def attendance_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    form = AttendanceForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_record(
                by=request.user,
                session=session,
                user=form.cleaned_data["user"],
                attended=form.cleaned_data["attended"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Attendance has been recorded."))
            return redirect("training:session_detail", pk=session.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "title": _("Record attendance"), "session": session},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def result_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    initial: dict[str, Any] = {"assessed_on": session.date}
    if request.GET.get("user"):
        initial["user"] = request.GET["user"]
    form = ResultForm(request.POST or None, session=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.result_record(
                by=request.user,
                session=session,
                user=form.cleaned_data["user"],
                score=form.cleaned_data["score"],
                passed=form.passed_value(),
                assessor=form.cleaned_data["assessor"],
                assessed_on=form.cleaned_data["assessed_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The result has been recorded."))
            return redirect("training:session_detail", pk=session.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "title": _("Record an assessment result"), "session": session},
        status=400 if form.errors else 200,
    )


# --- Excel import ----------------------------------------------------------------------------


def import_template(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    buffer = io.BytesIO()
    importing.write_template(session, buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        content_disposition_header(
            as_attachment=True, filename=f"培训出勤和考核-{session.date:%Y%m%d}.xlsx"
        )
        or ""
    )
    return response


@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = importing.dry_run(
                by=request.user,
                session=session,
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("training:import_preview", pk=session.pk, import_pk=record.pk)
    return render(
        request,
        "training/import_form.html",
        {"form": form, "session": session},
        status=400 if form.errors else 200,
    )


def _import_record(request: AuthenticatedRequest, pk: int, import_pk: int) -> ResultImport:
    session = _managed_session(request, pk)
    return get_object_or_404(ResultImport, pk=import_pk, session=session)


def import_preview(request: AuthenticatedRequest, pk: int, import_pk: int) -> HttpResponse:
    record = _import_record(request, pk, import_pk)
    return render(request, "training/import_preview.html", {"record": record})


@require_POST
def import_commit(request: AuthenticatedRequest, pk: int, import_pk: int) -> HttpResponse:
    record = _import_record(request, pk, import_pk)
    try:
        importing.commit(by=request.user, record=record)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("training:import_preview", pk=pk, import_pk=record.pk)
    messages.success(request, _("The attendance and results have been imported."))
    return redirect("training:session_detail", pk=pk)


# --- Training files, due list, coverage, setting ----------------------------------------------


def my_file(request: AuthenticatedRequest) -> HttpResponse:
    return redirect("training:file", user_id=request.user.pk)


def training_file(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    owner = selectors.file_owner_or_404(request.user, user_id)
    file = selectors.training_file(owner)
    template = "training/file_print.html" if request.GET.get("print") else "training/file.html"
    return render(request, template, {"file": file, "today": clock.today()})


def training_file_export(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    owner = selectors.file_owner_or_404(request.user, user_id)
    buffer = io.BytesIO()
    training_file_write(file=selectors.training_file(owner), stream=buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        content_disposition_header(
            as_attachment=True, filename=f"培训档案-{owner.real_name or owner.username}.xlsx"
        )
        or ""
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _require_file_reader(request: AuthenticatedRequest) -> None:
    if not selectors.can_see_files(request.user):
        raise PermissionDenied(
            _("Training files are kept by district civil affairs and town supervisors.")
        )


def due(request: AuthenticatedRequest) -> HttpResponse:
    _require_file_reader(request)
    today = clock.today()
    rows = list(selectors.due_workers(request.user, today))
    return render(request, "training/due.html", {"rows": rows, "today": today})


def _district_param(request: AuthenticatedRequest) -> Region:
    districts = permissions.managed_districts(request.user)
    if not districts:
        raise PermissionDenied(_("Training coverage is reviewed by district civil affairs."))
    code = request.GET.get("district")
    if code:
        for district in districts:
            if district.code == code:
                return district
        raise Http404
    return districts[0]


def coverage(request: AuthenticatedRequest) -> HttpResponse:
    district = _district_param(request)
    today = clock.today()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    report = selectors.coverage(district, year, today)
    return render(request, "training/coverage.html", {"report": report})


class PolicyPage(DistrictRuleView):
    """The annual training setting of a district the user manages."""

    model = TrainingPolicy
    form_class = PolicyForm
    template_name = "training/form.html"
    saved_message = gettext_lazy("The setting has been saved.")

    def districts(self) -> list[Region]:
        return permissions.managed_districts(self.request.user)

    def no_district(self) -> NoReturn:
        raise PermissionDenied(_("Training coverage is reviewed by district civil affairs."))

    def chosen(self) -> str:
        return self.request.GET.get("district") or ""

    def key(self, district: Region) -> str:
        return district.code

    def save(self, rule: DistrictRule, form: forms.BaseForm) -> None:
        services.training_policy_save(
            by=self.request.user,
            district=rule.district,
            lapsed_blocks_work=form.cleaned_data["lapsed_blocks_work"],
        )

    def success_url(self, district: Region) -> str:
        return reverse("training:index")

    def context(
        self, form: forms.BaseForm, district: Region, districts: Sequence[Region]
    ) -> dict[str, Any]:
        return {
            "form": form,
            "title": _("Annual training setting of %(district)s") % {"district": district.name},
        }


policy = PolicyPage.as_view()
