"""REST endpoints: /api/v1/findings/ (the caller's scope; filters source, rule, village,
outcome), /api/v1/findings/summary/ (the list page's summary) and POST
/api/v1/findings/<id>/close/ (outcome required)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest
from matching import selectors, services
from matching.models import Finding
from matching.serializers import (
    FindingCloseSerializer,
    FindingFilterSerializer,
    FindingSerializer,
    FindingSummaryFilterSerializer,
    FindingSummarySerializer,
)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("source", str),
            OpenApiParameter("rule", str),
            OpenApiParameter("village", int),
            OpenApiParameter("outcome", str, description="open, overdue, or an outcome"),
        ]
    )
)
class FindingViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Finding],
):
    """Findings of department lists in the caller's scope, open first, then by due date."""

    request: AuthenticatedApiRequest
    serializer_class = FindingSerializer

    def get_queryset(self) -> QuerySet[Finding]:
        params: dict[str, str] = {}
        if self.action == "list":
            flt = FindingFilterSerializer(data=self.request.query_params)
            flt.is_valid(raise_exception=True)
            params = {k: str(v) for k, v in flt.validated_data.items()}
        return selectors.findings_for(self.request.user, params).select_related("done_by")

    @extend_schema(
        parameters=[
            OpenApiParameter("by", str, enum=["source", "rule", "village", "outcome"]),
            OpenApiParameter("source", str),
            OpenApiParameter("rule", str),
            OpenApiParameter("village", int),
            OpenApiParameter("outcome", str, description="open, overdue, or an outcome"),
        ],
        responses={200: FindingSummarySerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request: AuthenticatedApiRequest) -> Response:
        """Counts by source, rule, village or outcome: all, open, overdue, closed, and the
        median and mean days to close (supervisors and district civil affairs)."""
        if not selectors.may_see_findings(request.user):
            raise exceptions.NotFound
        flt = FindingSummaryFilterSerializer(data=request.query_params)
        flt.is_valid(raise_exception=True)
        params = {k: str(v) for k, v in flt.validated_data.items()}
        rows = selectors.summary(selectors.findings_for(request.user, params), params["by"])
        return Response(FindingSummarySerializer(rows, many=True).data)

    @extend_schema(request=FindingCloseSerializer, responses={200: FindingSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Close the finding with its outcome (`outcome`; `outcome_link` to the archive for
        confirmed and registered; `done_note`, the reason or to whom it was referred)."""
        finding = self.get_object()  # out of scope: 404
        serializer = FindingCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            finding = services.finding_close(
                by=request.user,
                finding=finding,
                outcome=data["outcome"],
                link=data.get("outcome_link", ""),
                note=data.get("done_note", ""),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(FindingSerializer(finding).data)
