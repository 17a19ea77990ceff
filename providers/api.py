"""REST endpoints: /api/v1/service-providers/ (the registry of the districts the caller sees;
district civil affairs create and change) and /api/v1/referrals/ (the caller's referrals; a
provider's staff, the open ones to their provider): create is idempotent on `client_uuid`,
then POST .../decide/, .../outcome/ and .../withdraw/."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from children.models import Child
from core import permissions
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest
from providers import selectors, services
from providers.models import ServiceProvider, ServiceReferral
from providers.serializers import (
    OutcomeSerializer,
    ProviderFilterSerializer,
    ReferralDecisionSerializer,
    ReferralFilterSerializer,
    ServiceProviderSerializer,
    ServiceProviderWriteSerializer,
    ServiceReferralSerializer,
    WithdrawSerializer,
)

REGISTRY_KEEPERS = gettext_lazy("The registry is kept by the district's civil affairs.")


def _service_call(call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc


@extend_schema_view(
    list=extend_schema(parameters=[ProviderFilterSerializer]),
    create=extend_schema(
        request=ServiceProviderWriteSerializer, responses={201: ServiceProviderSerializer}
    ),
    partial_update=extend_schema(
        request=ServiceProviderWriteSerializer, responses={200: ServiceProviderSerializer}
    ),
)
class ServiceProviderViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[ServiceProvider],
):
    """The registry of service providers of the districts the caller sees."""

    request: AuthenticatedApiRequest
    serializer_class = ServiceProviderSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ServiceProvider]:
        params: dict[str, Any] = {}
        if self.action == "list":
            flt = ProviderFilterSerializer(data=self.request.query_params)
            flt.is_valid(raise_exception=True)
            params = {k: v for k, v in flt.validated_data.items() if v is not None}
            if "active" in params:
                params["active"] = "1" if params["active"] else "0"
        return selectors.providers_for(self.request.user, params)

    def _district(self, code: str | None) -> Any:
        districts = permissions.managed_districts(self.request.user)
        if not districts:
            raise exceptions.PermissionDenied(REGISTRY_KEEPERS)
        for district in districts:
            if not code or district.code == code:
                return district
        raise exceptions.ValidationError(
            {"district_code": [_("Choose a district whose registry you keep.")]}
        )

    def _save(self, request: Request, provider: ServiceProvider | None) -> ServiceProvider:
        serializer = ServiceProviderWriteSerializer(data=request.data, partial=provider is not None)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        code = data.pop("district_code", None)
        district = provider.district if provider else self._district(code)
        areas = data.pop("areas", None)
        active = data.pop("active", provider.active if provider else True)
        saved: ServiceProvider = _service_call(
            services.provider_save,
            by=self.request.user,
            district=district,
            values=data,
            areas=areas if areas is not None else (list(provider.areas.all()) if provider else []),
            active=active,
            provider=provider,
        )
        return selectors.providers_for(self.request.user).get(pk=saved.pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        provider = self._save(request, None)
        return Response(ServiceProviderSerializer(provider).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        provider = self.get_object()  # out of scope: 404
        if not services.may_manage_registry(self.request.user, provider.district):
            raise exceptions.PermissionDenied(REGISTRY_KEEPERS)
        return Response(ServiceProviderSerializer(self._save(request, provider)).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


@extend_schema_view(list=extend_schema(parameters=[ReferralFilterSerializer]))
class ReferralViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[ServiceReferral],
):
    """Referrals of children to service providers: the caller's regions; for a provider's
    staff, the open referrals to their provider (closed, they are gone: 404). Creating is
    idempotent on `client_uuid`: the same id again returns the first referral with 200."""

    request: AuthenticatedApiRequest
    serializer_class = ServiceReferralSerializer

    def get_queryset(self) -> QuerySet[ServiceReferral]:
        params: dict[str, Any] = {}
        if self.action == "list":
            flt = ReferralFilterSerializer(data=self.request.query_params)
            flt.is_valid(raise_exception=True)
            params = dict(flt.validated_data)
        return selectors.referrals_for(self.request.user, params)

    @extend_schema(responses={201: ServiceReferralSerializer, 200: ServiceReferralSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = request.data.get("client_uuid") if hasattr(request.data, "get") else None
        if token:
            try:
                earlier = (
                    ServiceReferral.objects.visible_to(self.request.user)
                    .filter(client_uuid=token)
                    .first()
                )
            except DjangoValidationError:
                earlier = None
            if earlier is not None:
                return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        permissions.require_work(self.request.user)
        if not services.may_refer(self.request.user):
            raise exceptions.PermissionDenied(_("Your role does not refer children."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        child = Child.objects.visible_to(self.request.user).filter(pk=data["child_id"]).first()
        if child is None:
            raise exceptions.ValidationError({"child": [_("This child is not in your regions.")]})
        provider = (
            ServiceProvider.objects.visible_to(self.request.user)
            .filter(pk=data["provider"].pk)
            .first()
        )
        if provider is None:
            raise exceptions.ValidationError(
                {"provider": [_("This provider does not serve the child's village.")]}
            )
        referral, created = _service_call(
            services.referral_create,
            by=self.request.user,
            child=child,
            provider=provider,
            service=data["service"],
            reason=data["reason"],
            consent=data["consent"],
            consent_on=data.get("consent_on"),
            respond_by=data.get("respond_by"),
            due_on=data.get("due_on"),
            client_uuid=data["client_uuid"],
        )
        return Response(
            self.get_serializer(referral).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _reread(self, referral: ServiceReferral) -> Response:
        """The referral after the change; a provider's staff who just closed it no longer
        sees it, and reads the closed state once, in this answer."""
        fresh = selectors.referrals_for(self.request.user).filter(pk=referral.pk).first()
        return Response(self.get_serializer(fresh or referral).data)

    @extend_schema(request=ReferralDecisionSerializer, responses={200: ServiceReferralSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """The provider accepts (`accept: true`) or declines (a `note` with the reason); by its
        staff, or recorded by the referrer's side for it."""
        referral = self.get_object()
        serializer = ReferralDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        referral = _service_call(
            services.referral_decide,
            by=request.user,
            referral=referral,
            accept=data["accept"],
            note=data.get("note", ""),
        )
        return self._reread(referral)

    @extend_schema(request=OutcomeSerializer, responses={200: ServiceReferralSerializer})
    @action(detail=True, methods=["post"])
    def outcome(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """The outcome of an accepted referral, which closes it."""
        referral = self.get_object()
        serializer = OutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        referral = _service_call(
            services.referral_outcome,
            by=request.user,
            referral=referral,
            outcome=data["outcome"],
            note=data.get("done_note", ""),
            done_on=data.get("done_on"),
        )
        return self._reread(referral)

    @extend_schema(request=WithdrawSerializer, responses={200: ServiceReferralSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """The referrer's side withdraws an open referral (`note`, the reason)."""
        referral = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = _service_call(
            services.referral_withdraw,
            by=request.user,
            referral=referral,
            note=serializer.validated_data["note"],
        )
        return self._reread(referral)
