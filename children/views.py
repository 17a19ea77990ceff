"""Pages of the child archive: list and search, registration and editing, closing and
reopening, and the records that hang off a child (the archive page itself, with its timeline,
is casefile.views)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from children import closing, duplicates, records, registration, selectors
from children.forms import (
    RECORD_FORMS,
    RECORD_TITLES,
    ChildFilterForm,
    ChildForm,
    CloseForm,
    ReopenForm,
)
from children.household import household_initial, household_register
from children.models import Child
from children.models_household import Household
from core import clock, permissions, scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.paging import CappedPaginator
from core.replica import replica_reads
from org.models import Region

PAGE_SIZE = 25


def _require_editor(request: AuthenticatedRequest) -> None:
    permissions.require_work(request.user)  # the certification gate explains itself
    if not permissions.can_edit_archives(request.user):
        raise PermissionDenied(
            _("Archives are kept by village child directors and district civil affairs.")
        )


def _require_records(request: AuthenticatedRequest) -> None:
    permissions.require_work(request.user)
    if not permissions.can_add_records(request.user):
        raise PermissionDenied(_("Your role does not add records to archives."))


def _visible_child(request: AuthenticatedRequest, pk: int) -> Child:
    return scoping.get_visible_or_404(
        Child.objects.select_related("village__parent", "created_by"), request.user, pk=pk
    )


def _rule_errors(
    request: AuthenticatedRequest, form: ChildForm, instance: Child | None
) -> registration.DuplicateChild | None:
    """On a form that is not valid, the service's errors on the rest of it, so that every
    error is shown in one round (not the form's first, then the rules' on the next submit).
    Returns the duplicate ID number's refusal (its existing child when the user may see it;
    whether it was closed as moved away from another village)."""
    try:
        registration.child_check(by=request.user, data=form.to_input(), instance=instance)
    except registration.DuplicateChild as exc:
        add_service_errors(form, exc)
        return exc
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


@replica_reads
def child_list(request: AuthenticatedRequest) -> HttpResponse:
    form = ChildFilterForm(request.GET or None, regions=selectors.filter_regions(request.user))
    flt = form.to_filter() if request.GET else selectors.ChildFilter(status="active")
    children = (
        selectors.children_for(request.user, flt)
        .select_related("village")
        .prefetch_related("categories")
    )
    # A name search counts at most SEARCH_CAP matches (core.paging): "more than 1,000".
    paginator = CappedPaginator(children, PAGE_SIZE) if flt.q else Paginator(children, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "sort": flt.sort,
        "can_edit": permissions.can_edit_archives(request.user),
        "can_import": permissions.can_import_rosters(request.user),
        "query": request.GET.urlencode(),
    }
    return render(request, "children/child_list.html", context)


def _into(request: AuthenticatedRequest) -> tuple[Household | None, Child | None]:
    """The family a registration joins: `household` (a household) or `sibling` (a child whose
    household is formed on saving), from the query or the form."""
    source = request.POST if request.method == "POST" else request.GET
    home, sibling = source.get("household", ""), source.get("sibling", "")
    if home.isdigit():
        return scoping.get_visible_or_404(Household.objects.all(), request.user, pk=home), None
    if sibling.isdigit():
        return None, _visible_child(request, int(sibling))
    return None, None


@require_http_methods(["GET", "POST"])
def child_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_editor(request)
    villages = Region.objects.villages_in(permissions.archive_scope(request.user))
    into_household, into_sibling = _into(request)
    form = ChildForm(request.POST or None, villages=villages)
    if not request.POST and villages.count() == 1:
        form.initial["village"] = villages.get().pk
    if not request.POST and (into_household or into_sibling):
        form.initial.update(household_initial(into_household or into_sibling))  # type: ignore[arg-type]
    existing = None
    moved_away = False
    candidates: list[duplicates.Candidate] = []
    if request.method == "POST" and not form.is_valid():
        duplicate = _rule_errors(request, form, instance=None)
        if duplicate is not None:
            existing, moved_away = duplicate.existing, duplicate.moved_away
    elif request.method == "POST":
        # Likely duplicates are shown before saving; saving anyway ("not the same child",
        # each candidate ticked) records the decision.
        data = form.to_input()
        token = form.cleaned_data.get("client_token")
        acknowledged = {int(v) for v in request.POST.getlist("not_duplicate_of") if v.isdigit()}
        into = into_household or into_sibling
        try:
            if into is not None:
                result = household_register(
                    by=request.user,
                    data=data,
                    into=into,
                    client_token=token,
                    acknowledged=acknowledged,
                )
            else:
                result = duplicates.child_register(
                    by=request.user,
                    data=data,
                    client_token=token,
                    acknowledged=acknowledged,
                    context="registration",
                )
        except duplicates.LikelyDuplicates as exc:
            candidates = exc.candidates  # the page lists them (children/_likely_duplicates.html)
        except registration.DuplicateChild as exc:
            existing, moved_away = exc.existing, exc.moved_away
            add_service_errors(form, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The child has been registered."))
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("children:detail", pk=result.child.pk)
    return render(
        request,
        "children/child_form.html",
        {
            "form": form,
            "existing": existing,
            "moved_away": moved_away,
            "title": _("Register a child"),
            "today": clock.today(),
            "likely_duplicates": candidates,
            "into_household": into_household,
            "into_sibling": into_sibling,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def child_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    child = _visible_child(request, pk)
    # An archive can move between villages the editor serves, and keep its own village.
    villages = Region.objects.villages_in(
        permissions.archive_scope(request.user)
    ) | Region.objects.filter(pk=child.village_id)
    form = ChildForm(
        request.POST or None,
        villages=villages,
        instance=child,
        show_identifiers=permissions.can_view_identifier(request.user),
    )
    if request.method == "POST" and not form.is_valid():
        _rule_errors(request, form, instance=child)
    elif request.method == "POST":
        try:
            result = registration.child_save(
                by=request.user,
                data=form.to_input(),
                instance=child,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved.") if result.changed else _("Nothing was changed."))
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("children:detail", pk=child.pk)
    return render(
        request,
        "children/child_form.html",
        {"form": form, "child": child, "title": _("Edit the archive"), "today": clock.today()},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def child_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    child = _visible_child(request, pk)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closing.child_close(by=request.user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The archive has been closed."))
            return redirect("children:detail", pk=child.pk)
    return render(
        request,
        "children/simple_form.html",
        {"form": form, "child": child, "title": _("Close the archive")},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def child_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    child = _visible_child(request, pk)
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closing.child_reopen(by=request.user, child=child, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The archive has been reopened."))
            return redirect("children:detail", pk=child.pk)
    return render(
        request,
        "children/simple_form.html",
        {"form": form, "child": child, "title": _("Reopen the archive")},
        status=400 if form.errors else 200,
    )


def _record_form_page(
    request: AuthenticatedRequest, pk: int, kind: str, record_pk: int | None
) -> HttpResponse:
    _require_records(request)
    if kind not in RECORD_FORMS:
        raise Http404
    child = _visible_child(request, pk)
    instance = None
    if record_pk is not None:
        model = records.RECORD_MODELS[kind]
        instance = model.objects.filter(child=child, pk=record_pk).first()
        if instance is None:
            raise Http404
    form = RECORD_FORMS[kind](request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            records.record_save(
                by=request.user,
                child=child,
                kind=kind,
                values=form.values(),
                instance=instance,
                client_token=form.cleaned_data.get("client_token"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("children:detail", pk=child.pk)
    return render(
        request,
        "children/simple_form.html",
        {"form": form, "child": child, "title": RECORD_TITLES[kind]},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def record_create(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    return _record_form_page(request, pk, kind, None)


@require_http_methods(["GET", "POST"])
def record_edit(request: AuthenticatedRequest, pk: int, kind: str, record_pk: int) -> HttpResponse:
    return _record_form_page(request, pk, kind, record_pk)


@replica_reads
def age_review(request: AuthenticatedRequest) -> HttpResponse:
    """Children who reached an age limit, for their director to confirm closing (R10)."""
    children = selectors.age_review_children(request.user)
    page = Paginator(children, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "children/age_review.html",
        {"page": page, "can_edit": permissions.can_edit_archives(request.user)},
    )
