"""Pages of supervision: worker assessment (R5) and the annual archive spot-check (R11).
Thin: reads come from supervision.figures / supervision.selectors, writes from
supervision.services."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from children.audit import log_access
from children.models import AccessAction, Child
from core import clock, permissions, scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.replica import replica_reads
from core.roles import Role
from org.models import Region, User
from supervision import figures, selectors, services
from supervision.forms import AssessmentForm, CheckForm, DrawForm, PeriodForm
from supervision.models import CHECKLIST, SpotCheckRectification, WorkerAssessment

PAGE_SIZE = 50


def index(request: AuthenticatedRequest) -> HttpResponse:
    if figures.assessment_areas(request.user):
        return redirect("supervision:assessment")
    return redirect("supervision:spot_checks")


# --- Worker assessment -------------------------------------------------------------------------


@replica_reads
def assessment(request: AuthenticatedRequest) -> HttpResponse:
    """Figures per worker of the chosen area over the chosen period, and the written
    assessments the user may read. A director sees only their own written assessments."""
    today = clock.today()
    areas = figures.assessment_areas(request.user)
    scope = scoping.get_scope(request.user)
    if not areas and not scope.has_role(Role.CHILD_DIRECTOR):
        raise Http404
    area = figures.area_for(request.user, request.GET.get("area")) if areas else None
    if areas and area is None:
        raise Http404
    form = PeriodForm(request.GET, today=today)
    rows: list[figures.WorkerFigures] = []
    start = end = None
    if area is not None and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        rows = figures.assessment(request.user, area, start, end, today)
        if not permissions.work_refusal(request.user):
            writable = services.assessable(request.user, end.year)
            for row in rows:
                row.can_write = row.worker.pk in writable
    return render(
        request,
        "supervision/assessment.html",
        {
            "areas": areas,
            "area": area,
            "form": form,
            "rows": rows,
            "start": start,
            "end": end,
            "records_window": figures.records_window(end) if end else None,
            "written": selectors.assessments_for(request.user)[:PAGE_SIZE],
        },
        status=400 if form.errors else 200,
    )


def _year(raw: Any, today: datetime.date) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return today.year


@require_http_methods(["GET", "POST"])
def assessment_write(request: AuthenticatedRequest, worker_id: int) -> HttpResponse:
    today = clock.today()
    year = _year(request.POST.get("year") or request.GET.get("year"), today)
    target = services.assessable(request.user, year).get(worker_id)
    if target is None:
        raise Http404
    worker: User = target.user
    existing = WorkerAssessment.objects.filter(worker=worker, year=year).first()
    if existing is not None:
        messages.info(request, _("This worker already has an assessment for that year."))
        return redirect("supervision:assessment_detail", pk=existing.pk)
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            written = services.assessment_write(
                by=request.user,
                worker=worker,
                year=year,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
                today=today,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The assessment has been saved."))
            return redirect("supervision:assessment_detail", pk=written.pk)
    return render(
        request,
        "supervision/assessment_form.html",
        {
            "form": form,
            "worker": worker,
            "year": year,
            "title": _("Annual assessment of %(worker)s, %(year)d")
            % {"worker": worker, "year": year},
        },
        status=400 if form.errors else 200,
    )


def assessment_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    written = selectors.assessments_for(request.user).filter(pk=pk).first()
    if written is None:
        raise Http404
    return render(
        request,
        "supervision/assessment_detail.html",
        {
            "written": written,
            "history": written.history.select_related("history_user").order_by("-history_date"),
            "can_correct": written.author_id == request.user.pk,
        },
    )


@require_http_methods(["GET", "POST"])
def assessment_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    written = selectors.assessments_for(request.user).filter(pk=pk).first()
    if written is None:
        raise Http404
    if written.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author corrects an assessment."))
    form = AssessmentForm(
        request.POST or None, initial={"rating": written.rating, "text": written.text}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_correct(
                by=request.user,
                assessment=written,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The assessment has been corrected."))
            return redirect("supervision:assessment_detail", pk=written.pk)
    return render(
        request,
        "supervision/assessment_form.html",
        {
            "form": form,
            "worker": written.worker,
            "year": written.year,
            "title": _("Correct the assessment of %(worker)s, %(year)d")
            % {"worker": written.worker, "year": written.year},
        },
        status=400 if form.errors else 200,
    )


# --- Spot-checks -------------------------------------------------------------------------------


@replica_reads
def spot_checks(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.sees_spot_checks(request.user):
        raise Http404
    today = clock.today()
    rectifications = list(selectors.open_rectifications(request.user, today)[:PAGE_SIZE])
    for rect in rectifications:
        rect.can_complete = selectors.may_complete(request.user, rect)  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/spot_checks.html",
        {
            "checks": selectors.spot_checks_for(request.user),
            "can_draw": selectors.may_draw(request.user),
            "rectifications": rectifications,
            "today": today,
        },
    )


@require_http_methods(["GET", "POST"])
def spot_check_draw(request: AuthenticatedRequest) -> HttpResponse:
    districts = permissions.managed_districts(request.user)
    if not districts:
        raise Http404
    today = clock.today()
    form = DrawForm(
        request.POST or None,
        districts=Region.objects.filter(pk__in=[d.pk for d in districts]),
        today=today,
    )
    if request.method == "POST" and form.is_valid():
        try:
            spot_check = services.spot_check_draw(
                by=request.user,
                district=form.cleaned_data["district"],
                year=form.cleaned_data["year"],
                percentage=form.cleaned_data["percentage"],
                seed=form.cleaned_data["seed"],
                today=today,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(n)d archives drawn with seed %(seed)d.")
                % {"n": spot_check.sample_size, "seed": spot_check.seed},
            )
            return redirect("supervision:spot_check_detail", pk=spot_check.pk)
    context = {
        "form": form,
        "title": _("Draw the annual archive spot-check"),
        "back": "supervision:spot_checks",
    }
    return render(request, "includes/simple_form.html", context, status=400 if form.errors else 200)


def spot_check_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    spot_check = selectors.spot_checks_for(request.user).filter(pk=pk).first()
    if spot_check is None:
        raise Http404
    today = clock.today()
    progress = selectors.progress(request.user, spot_check, today)
    town = request.GET.get("town", "")
    page = None
    if town:
        if not (town.isdigit() and len(town) == 12):
            raise Http404
        items = selectors.town_items(request.user, spot_check=spot_check, town=town)
        page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/spot_check_detail.html",
        {"spot_check": spot_check, "progress": progress, "page": page, "town": town},
    )


@require_http_methods(["GET", "POST"])
def spot_check_item(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = scoping.get_visible_or_404(
        selectors.items_for(request.user).select_related(
            "spot_check__district", "child__village", "checked_by"
        ),
        request.user,
        pk=pk,
    )
    today = clock.today()
    can_check = selectors.may_check(request.user, item) and not permissions.work_refusal(
        request.user
    )
    child = selectors.with_archive_facts(Child.objects.filter(pk=item.child_id)).get()
    suggested = selectors.suggestions(child, today)
    if item.checked_on is not None:
        initial: dict[str, Any] = {
            name: "yes" if getattr(item, name) else "no" for name, _label in CHECKLIST
        }
        initial["findings"] = item.findings
    else:
        initial = {name: "yes" if s["ok"] else "no" for name, s in suggested.items()}
    form = CheckForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_check:
            raise PermissionDenied(_("Archives are checked by the district's civil-affairs staff."))
        if form.is_valid():
            try:
                services.spot_check_record(
                    by=request.user,
                    item=item,
                    answers=form.answers(),
                    findings=form.cleaned_data["findings"],
                    rectifications=form.rectifications(),
                    today=today,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The check has been saved."))
                return redirect("supervision:spot_check_item", pk=item.pk)
    else:
        log_access(request, AccessAction.VIEW, child=item.child)
    rectifications = list(
        SpotCheckRectification.objects.filter(item=item).select_related("done_by")
    )
    for rect in rectifications:
        rect.can_complete = selectors.may_complete(request.user, rect)  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/spot_check_item.html",
        {
            "item": item,
            "child": child,
            "form": form,
            "suggested": [(label, suggested[name]) for name, label in CHECKLIST],
            "answers": [(label, getattr(item, name)) for name, label in CHECKLIST],
            "can_check": can_check,
            "rectifications": rectifications,
            "today": today,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["POST"])
def rectification_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rect = scoping.get_visible_or_404(
        selectors.rectifications_for(request.user).select_related("item"), request.user, pk=pk
    )
    back = request.POST.get("next") or ""
    raw = request.POST.get("done_on") or ""
    try:
        done_on = datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, _("Give a date as YYYY-MM-DD."))
    else:
        try:
            services.spot_rectification_done(by=request.user, rectification=rect, done_on=done_on)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Marked done."))
    if back == "item":
        return redirect("supervision:spot_check_item", pk=rect.item_id)
    return redirect("supervision:spot_checks")
