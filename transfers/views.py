"""Pages: the transfers of one's villages, starting one from the child's page, asking for an
archive closed as moved away (from the registration page), a transfer's page with its
decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from children.models import Child
from core import scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from matching.models import Finding
from org.models import Region
from transfers import selectors, services
from transfers.forms import ClaimForm, DeclineForm, StartForm
from transfers.models import Transfer


def transfer_list(request: AuthenticatedRequest) -> HttpResponse:
    if not scoping.get_scope(request.user).prefixes:
        raise PermissionDenied
    return render(
        request, "transfers/transfer_list.html", {"lists": selectors.transfers_for(request.user)}
    )


def _visible_transfer(request: AuthenticatedRequest, pk: int) -> Transfer:
    return scoping.get_visible_or_404(
        Transfer.objects.select_related(
            "child", "from_village__parent", "to_village__parent", "requested_by", "decided_by"
        ),
        request.user,
        pk=pk,
    )


def _render_detail(
    request: AuthenticatedRequest, transfer: Transfer, form: DeclineForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "transfers/transfer_detail.html",
        {
            "transfer": transfer,
            "may_decide": services.may_decide(request.user, transfer),
            "sees_archive": services.sees_archive(request.user, transfer),
            "form": form,
        },
        status=status,
    )


def transfer_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_transfer(request, pk), DeclineForm())


@require_POST
def transfer_accept(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    transfer = _visible_transfer(request, pk)
    try:
        services.transfer_accept(by=request.user, transfer=transfer)
    except ValidationError as exc:
        form = DeclineForm()
        add_service_errors(form, exc)
        return _render_detail(request, transfer, form, status=400)
    messages.success(request, _("The transfer has been accepted: the child is in your village."))
    return redirect("transfers:detail", pk=transfer.pk)


@require_POST
def transfer_decline(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    transfer = _visible_transfer(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.transfer_decline(
                by=request.user, transfer=transfer, reason=form.cleaned_data["decline_reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The transfer has been declined."))
            return redirect("transfers:detail", pk=transfer.pk)
    return _render_detail(request, transfer, form, status=400)


@require_http_methods(["GET", "POST"])
def transfer_start(request: AuthenticatedRequest, child_pk: int) -> HttpResponse:
    """Send a child: find the receiving village by name (GET, no JavaScript), choose it,
    give the reason (POST)."""
    child = scoping.get_visible_or_404(
        Child.objects.select_related("village"), request.user, pk=child_pk
    )
    if not services.may_start(request.user, child):
        raise PermissionDenied
    bound = request.POST if request.method == "POST" else None
    form = StartForm(
        bound, initial={"q": request.GET.get("q", ""), "finding": request.GET.get("finding")}
    )
    text = request.POST.get("q") if bound else request.GET.get("q", "")
    villages = selectors.villages_matching(text or "", exclude=child.village_id)
    chosen = request.POST.get("to_village") if bound else None
    if bound is not None and form.is_valid():
        data = form.cleaned_data
        to_village = (
            Region.objects.filter(pk=data["to_village"]).first() if data["to_village"] else None
        )
        finding = None
        if data["finding"]:
            finding = scoping.get_visible_or_404(
                Finding.objects.all(), request.user, pk=data["finding"]
            )
        try:
            transfer = services.transfer_request(
                by=request.user,
                child=child,
                to_village=to_village,
                reason=data["reason"],
                finding=finding,
                client_token=data["client_uuid"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The transfer has been requested: the receiving side decides.")
            )
            return redirect("transfers:detail", pk=transfer.pk)
    return render(
        request,
        "transfers/transfer_start.html",
        {
            "child": child,
            "form": form,
            "villages": villages,
            "chosen": str(chosen or ""),
            "searched": bool(text),
        },
        status=400 if bound is not None and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def transfer_claim(request: AuthenticatedRequest) -> HttpResponse:
    """Ask for an archive closed as moved away. The registration page posts here with
    `prefill` (the ID number and village it had): the form is shown filled, not checked."""
    villages = selectors.claim_villages(request.user)
    if not villages.exists():
        raise PermissionDenied
    prefill = request.method == "POST" and "prefill" in request.POST
    if prefill:
        form = ClaimForm(
            villages=villages,
            initial={
                "id_number": request.POST.get("id_number", ""),
                "to_village": request.POST.get("village") or None,
            },
        )
    else:
        form = ClaimForm(request.POST if request.method == "POST" else None, villages=villages)
    if request.method == "POST" and not prefill and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.transfer_claim(
                by=request.user,
                id_number=data["id_number"],
                to_village=data["to_village"],
                reason=data["reason"],
                client_token=data["client_uuid"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The transfer has been requested: the sending side decides.")
            )
            return redirect("transfers:detail", pk=transfer.pk)
    return render(
        request,
        "transfers/transfer_claim.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )
