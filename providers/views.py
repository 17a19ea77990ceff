"""Pages of the registry (district civil affairs keep it; everyone who refers reads it), the
referral of a child from her page, the referrer's list, a provider's inbox of open referrals and
one referral with its answer, outcome or withdrawal. Phone first: one column, big buttons."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from children.models import Child
from core import clock, permissions, scoping
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.roles import DATA_ROLES, PROVIDER_ROLES
from org.models import Region, User
from providers import selectors, services
from providers.forms import (
    DecisionForm,
    OutcomeForm,
    ProviderForm,
    ReferralForm,
    StaffLinkForm,
    WithdrawForm,
)
from providers.models import (
    ProviderKind,
    ReferralStatus,
    ServiceKind,
    ServiceProvider,
    ServiceReferral,
)

PAGE_SIZE = 50


def _sees_children(request: AuthenticatedRequest) -> None:
    if not scoping.get_scope(request.user).has_role(*DATA_ROLES):
        raise Http404


def registry(request: AuthenticatedRequest) -> HttpResponse:
    _sees_children(request)
    found = selectors.providers_for(request.user, request.GET)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "providers/registry.html",
        {
            "page": page,
            "kinds": ProviderKind.choices,
            "services": ServiceKind.choices,
            "params": request.GET,
            "may_manage": services.may_manage_registry(request.user),
        },
    )


def _district(request: AuthenticatedRequest) -> Region:
    districts = permissions.managed_districts(request.user)
    chosen = request.GET.get("district", "")
    for district in districts:
        if str(district.pk) == chosen:
            return district
    if not districts:
        raise Http404
    return districts[0]


def _provider_values(form: ProviderForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {name: data[name] for name in services.PROVIDER_FIELDS}


@require_http_methods(["GET", "POST"])
def provider_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    provider: ServiceProvider | None = None
    if pk is not None:
        provider = scoping.get_visible_or_404(
            ServiceProvider.objects.select_related("district"), request.user, pk=pk
        )
        if not services.may_manage_registry(request.user, provider.district):
            raise Http404
        district = provider.district
    else:
        district = _district(request)
    initial = ProviderForm.initial_of(provider) if provider else None
    form = ProviderForm(
        request.POST if request.method == "POST" else None, initial=initial, district=district
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.provider_save(
                by=request.user,
                district=district,
                values=_provider_values(form),
                areas=form.cleaned_data["areas"],
                active=form.cleaned_data["active"],
                provider=provider,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The provider has been saved."))
            return redirect("providers:detail", pk=saved.pk)
    return render(
        request,
        "providers/provider_form.html",
        {"form": form, "provider": provider, "district": district},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def provider_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _sees_children(request)
    provider = scoping.get_visible_or_404(
        selectors.providers_for(request.user), request.user, pk=pk
    )
    may_manage = services.may_manage_registry(request.user, provider.district)
    form = None
    if may_manage:
        form = StaffLinkForm(
            request.POST if request.method == "POST" else None,
            candidates=services.staff_candidates(provider),
        )
    if request.method == "POST":
        if form is None:
            raise Http404
        if request.POST.get("remove"):
            user = scoping.get_visible_or_404(
                User.objects.filter(provider_links__provider=provider),
                request.user,
                pk=request.POST["remove"] if request.POST["remove"].isdigit() else 0,
            )
            services.provider_staff_remove(by=request.user, provider=provider, user=user)
            messages.success(request, _("The staff account has been unlinked."))
            return redirect("providers:detail", pk=provider.pk)
        if form.is_valid():
            try:
                services.provider_staff_add(
                    by=request.user, provider=provider, user=form.cleaned_data["user"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The staff account has been linked."))
                return redirect("providers:detail", pk=provider.pk)
    open_count = (
        ServiceReferral.objects.visible_to(request.user)
        .filter(provider=provider, done=False)
        .count()
    )
    return render(
        request,
        "providers/provider_detail.html",
        {
            "provider": provider,
            "form": form,
            "may_manage": may_manage,
            "open_count": open_count,
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def refer(request: AuthenticatedRequest, child_pk: int) -> HttpResponse:
    child = scoping.get_visible_or_404(
        Child.objects.select_related("village"), request.user, pk=child_pk
    )
    if not services.may_refer(request.user):
        raise PermissionDenied(_("Your role does not refer children."))
    permissions.require_work(request.user)
    form = ReferralForm(
        request.POST if request.method == "POST" else None,
        providers=services.providers_for(child),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral, _created = services.referral_create(
                by=request.user,
                child=child,
                provider=data["provider"],
                service=data["service"],
                reason=data["reason"],
                consent=data["consent"],
                consent_on=data["consent_on"],
                respond_by=data["respond_by"],
                due_on=data["due_on"],
                client_uuid=data["client_uuid"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The child has been referred."))
            return redirect("providers:referral", pk=referral.pk)
    return render(
        request,
        "providers/refer.html",
        {"form": form, "child": child},
        status=400 if form.errors else 200,
    )


def referrals(request: AuthenticatedRequest) -> HttpResponse:
    """The referrer's list: the referrals of the children in the viewer's regions."""
    _sees_children(request)
    found = selectors.referrals_for(request.user, request.GET)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "providers/referrals.html",
        {
            "page": page,
            "statuses": ReferralStatus.choices,
            "params": request.GET,
            "today": clock.today(),
        },
    )


def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """A provider's staff: the open referrals to their provider."""
    if not scoping.get_scope(request.user).has_role(*PROVIDER_ROLES):
        raise Http404
    found = list(selectors.inbox(request.user)[:200])
    return render(request, "providers/inbox.html", {"referrals": found, "today": clock.today()})


def referral_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral = scoping.get_visible_or_404(
        ServiceReferral.objects.select_related(
            "child__village", "provider", "referred_by", "decided_by", "done_by"
        ),
        request.user,
        pk=pk,
    )
    return _referral_page(request, referral)


def _referral_page(
    request: AuthenticatedRequest, referral: ServiceReferral, **forms: Any
) -> HttpResponse:
    user = request.user
    staff = services.is_provider_staff(user, referral)
    referrer = services.is_referrer_side(user, referral)
    may_answer = referral.status == ReferralStatus.REQUESTED and (staff or referrer)
    may_outcome = referral.status == ReferralStatus.ACCEPTED and (staff or referrer)
    context = {
        "referral": referral,
        "child": selectors.referred_child(referral, request.user),
        "is_staff": staff,
        "is_referrer": referrer,
        "today": clock.today(),
        "decision_form": forms.get("decision") or (DecisionForm() if may_answer else None),
        "outcome_form": forms.get("outcome") or (OutcomeForm() if may_outcome else None),
        "withdraw_form": forms.get("withdraw")
        or (WithdrawForm() if referral.is_open and referrer else None),
    }
    errors = any(f.errors for f in forms.values())
    return render(request, "providers/referral.html", context, status=400 if errors else 200)


@require_POST
def referral_act(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    referral = scoping.get_visible_or_404(
        ServiceReferral.objects.select_related("child__village", "provider", "referred_by"),
        request.user,
        pk=pk,
    )
    form: DecisionForm | OutcomeForm | WithdrawForm
    if action == "decide":
        form = DecisionForm(request.POST)
    elif action == "outcome":
        form = OutcomeForm(request.POST)
    elif action == "withdraw":
        form = WithdrawForm(request.POST)
    else:
        raise Http404
    if form.is_valid():
        data = form.cleaned_data
        try:
            if isinstance(form, DecisionForm):
                services.referral_decide(
                    by=request.user,
                    referral=referral,
                    accept=data["decision"] == "accept",
                    note=data["note"],
                )
            elif isinstance(form, OutcomeForm):
                services.referral_outcome(
                    by=request.user,
                    referral=referral,
                    outcome=data["outcome"],
                    note=data["done_note"],
                    done_on=data["done_on"],
                )
            else:
                services.referral_withdraw(by=request.user, referral=referral, note=data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The referral has been updated."))
            if ServiceReferral.objects.visible_to(request.user).filter(pk=referral.pk).exists():
                return redirect("providers:referral", pk=referral.pk)
            return redirect("providers:inbox")  # closed: the provider's reach ended
    key = {"decide": "decision", "outcome": "outcome", "withdraw": "withdraw"}[action]
    return _referral_page(request, referral, **{key: form})
