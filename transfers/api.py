"""REST endpoints: /api/v1/transfers/ (both sides' transfers; `status`, `direction=to_decide`),
POST /api/v1/transfers/ (send a child), POST /api/v1/transfers/claims/ (ask for an archive
closed as moved away: the registration's 400 says `moved_away`), and
POST /api/v1/transfers/<id>/accept/ and /decline/."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from children.models import Child
from core import scoping
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest
from matching.models import Finding
from org.models import Region
from transfers import selectors, services
from transfers.models import Transfer
from transfers.serializers import (
    TransferClaimSerializer,
    TransferDeclineSerializer,
    TransferFilterSerializer,
    TransferRequestSerializer,
    TransferSerializer,
)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["requested", "accepted", "declined"]),
            OpenApiParameter("direction", str, enum=["to_decide"]),
        ]
    )
)
class TransferViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Transfer],
):
    """Transfers of children between villages that the caller's villages send or receive."""

    request: AuthenticatedApiRequest
    serializer_class = TransferSerializer

    def get_queryset(self) -> QuerySet[Transfer]:
        rows = Transfer.objects.visible_to(self.request.user).select_related(
            "child", "from_village", "to_village", "requested_by", "decided_by"
        )
        if self.action == "list":
            flt = TransferFilterSerializer(data=self.request.query_params)
            flt.is_valid(raise_exception=True)
            if flt.validated_data.get("status"):
                rows = rows.filter(status=flt.validated_data["status"])
            if flt.validated_data.get("direction") == "to_decide":
                rows = rows.filter(status="requested").filter(
                    selectors.deciding_q(self.request.user)
                )
        return rows

    @extend_schema(request=TransferRequestSerializer, responses={201: TransferSerializer})
    def create(self, request: AuthenticatedApiRequest) -> Response:
        """Send a child (`child`, in the caller's scope) to the village `to_village` (its
        division code), with the reason; `client_id` stores a retry once."""
        serializer = TransferRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        child = scoping.get_visible_or_404(Child.objects.all(), request.user, pk=data["child"])
        finding = None
        if data.get("finding"):
            finding = scoping.get_visible_or_404(
                Finding.objects.all(), request.user, pk=data["finding"]
            )
        try:
            transfer = services.transfer_request(
                by=request.user,
                child=child,
                to_village=Region.objects.filter(code=data["to_village"]).first(),
                reason=data["reason"],
                finding=finding,
                client_token=data.get("client_id"),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransferClaimSerializer, responses={201: TransferSerializer})
    @action(detail=False, methods=["post"])
    def claims(self, request: AuthenticatedApiRequest) -> Response:
        """Ask for the archive closed as moved away that holds `id_number`, to go on in
        `to_village` (a village where the caller keeps archives)."""
        serializer = TransferClaimSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            transfer = services.transfer_claim(
                by=request.user,
                id_number=data["id_number"],
                to_village=Region.objects.filter(code=data["to_village"]).first(),
                reason=data["reason"],
                client_token=data.get("client_id"),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TransferSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Accept: the child and its open work move to the receiving village. Sent again, it
        answers the same and moves nothing twice."""
        transfer = self.get_object()
        try:
            transfer = services.transfer_accept(by=request.user, transfer=transfer)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(TransferSerializer(transfer).data)

    @extend_schema(request=TransferDeclineSerializer, responses={200: TransferSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Decline with `reason`: nothing moves."""
        transfer = self.get_object()
        serializer = TransferDeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            transfer = services.transfer_decline(
                by=request.user, transfer=transfer, reason=serializer.validated_data["reason"]
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc, rename={"decline_reason": "reason"}) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(TransferSerializer(transfer).data)
