"""Pages of one child, one record: the district's lists of likely duplicates (asked for,
progress polled by htmx, the pairs) and the merge of two archives. Rules are in
duplicates.services and duplicates.merging."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from children.audit import client_ip
from children.models import Child
from core import scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from duplicates import merging, services
from duplicates.forms import MergeForm
from duplicates.merging import MERGE_FIELDS

PAGE_SIZE = 50


@require_GET
def list_index(request: AuthenticatedRequest) -> HttpResponse:
    services.require_merger(request.user)
    return render(
        request,
        "duplicates/list_index.html",
        {
            "lists": list(services.lists_for(request.user)[:20]),
            "districts": services.merge_districts(request.user),
        },
    )


@require_POST
def list_new(request: AuthenticatedRequest) -> HttpResponse:
    listing = services.duplicate_list_request(
        user=request.user, district_code=request.POST.get("district", "")
    )
    messages.success(request, _("The list has started. This page shows its progress."))
    return redirect("duplicates:list", pk=listing.pk)


@require_GET
def list_detail(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    listing = services.list_or_404(request.user, pk)
    page = Paginator(services.pairs_of(request.user, listing), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "duplicates/list_detail.html", {"listing": listing, "page": page})


@require_GET
def list_progress(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    listing = services.list_or_404(request.user, pk)
    return render(request, "duplicates/progress.html", {"listing": listing})


def _display(child: Child, name: str) -> str:
    if name == "village":
        return child.village.name
    if name == "id_number":
        return child.id_masked or "—"
    if name == "carer_id_number":
        return "●●●" if child.carer_id_cipher else "—"
    if name == "categories":
        return "、".join(str(t) for t in child.categories.all()) or "—"
    if name == "parents":
        return "；".join(f"{p.get_relation_display()} {p.name}" for p in child.parents.all()) or "—"
    value = getattr(child, f"get_{name}_display", lambda: getattr(child, name))()
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


@require_http_methods(["GET", "POST"])
def merge(request: AuthenticatedRequest, a: int, b: int) -> HttpResponse:
    services.require_merger(request.user)
    children = Child.objects.select_related("village").prefetch_related("categories", "parents")
    first = scoping.get_visible_or_404(children, request.user, pk=a)
    second = scoping.get_visible_or_404(children, request.user, pk=b)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kept, choices = form.merge_choices()
        survivor, merged = (first, second) if kept == "a" else (second, first)
        try:
            merging.child_merge_archives(
                by=request.user,
                survivor_id=survivor.pk,
                merged_id=merged.pk,
                choices=choices,
                note=form.cleaned_data["note"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The two archives have been merged."))
            return redirect("children:detail", pk=survivor.pk)
    rows = [(form[name], _display(first, name), _display(second, name)) for name in MERGE_FIELDS]
    return render(
        request,
        "duplicates/merge.html",
        {
            "form": form,
            "first": first,
            "second": second,
            "rows": rows,
            "counts": (merging.record_counts(first.pk), merging.record_counts(second.pk)),
        },
        status=400 if form.errors else 200,
    )
