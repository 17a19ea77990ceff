"""REST endpoints of households: /api/v1/households/ (found by `q`, a parent's or the carer's
phone or name), read and change one (the change copied onto every member), its guardianship
capacity assessments, and a registered child joining it. Rows come from the scoping module
(out of scope: 404); writes from children.household; a ValidationError is a 400 with field
errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from children import household
from children.household_serializers import (
    GuardianshipAssessmentSerializer,
    HouseholdSerializer,
    HouseholdUpdateSerializer,
    JoinSerializer,
)
from children.models import Child
from children.models_household import Household
from children.serializers import is_masked
from core import permissions, scoping
from core.api import as_drf_error
from core.http import AuthenticatedApiRequest


def _members(user: Any, households: list[Household]) -> dict[int, list[Child]]:
    """The members `user` may see of `households`, by household: one query."""
    found: dict[int, list[Child]] = {}
    rows = (
        Child.objects.visible_to(user)
        .filter(household__in=households)
        .only("id", "name", "status", "next_home_visit_due", "household_id")
        .order_by("birth_date", "pk")
    )
    for child in rows:
        found.setdefault(child.household_id or 0, []).append(child)
    return found


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="A parent's or the carer's phone or name")
        ]
    )
)
class HouseholdViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Household],
):
    """Households in the caller's scope."""

    request: AuthenticatedApiRequest
    serializer_class = HouseholdSerializer

    def get_queryset(self) -> QuerySet[Household]:
        rows = Household.objects.visible_to(self.request.user).order_by("pk")
        q = (self.request.query_params.get("q") or "").strip()[:50]
        if self.action == "list" and q:
            families = household.families_matching(self.request.user, phones=[q], names=[q])
            rows = rows.filter(pk__in=[f.household.pk for f in families if f.household])
        return rows

    def _context(self, rows: list[Household]) -> dict[str, Any]:
        return {
            **self.get_serializer_context(),
            "show_ids": permissions.can_view_identifier(self.request.user),
            "members": _members(self.request.user, rows),
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page) if page is not None else list(queryset)
        data = HouseholdSerializer(rows, many=True, context=self._context(rows)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        home = self.get_object()
        return Response(HouseholdSerializer(home, context=self._context([home])).data)

    @extend_schema(request=HouseholdUpdateSerializer, responses={200: HouseholdSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the shared facts; every member's archive changes with a history row."""
        home = self.get_object()
        serializer = HouseholdUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        carer_id = data.pop("carer_id_number", None)
        if carer_id is not None and is_masked(carer_id):
            carer_id = None
        if is_masked(data.get("carer_phone") or ""):
            del data["carer_phone"]  # the masked number read back: kept
        parents = None
        if "parents" in data:
            before = household.household_parents(home)
            parents = {}
            for item in data.pop("parents"):
                values = {k: v for k, v in item.items() if k != "relation"}
                number = values.get("id_number")
                if number is None or is_masked(number):
                    values["id_number"] = before.get(item["relation"], {}).get("id_number", "")
                if is_masked(values.get("phone") or ""):
                    values["phone"] = before.get(item["relation"], {}).get("phone", "")
                parents[item["relation"]] = values
        try:
            household.household_save(
                by=self.request.user,
                household=home,
                fields=data,
                parents=parents,
                carer_id_number=carer_id,
                reason=reason,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        home.refresh_from_db()
        return Response(HouseholdSerializer(home, context=self._context([home])).data)

    @extend_schema(
        methods=["get"], responses={200: GuardianshipAssessmentSerializer(many=True)}, request=None
    )
    @extend_schema(
        methods=["post"],
        request=GuardianshipAssessmentSerializer,
        responses={201: GuardianshipAssessmentSerializer, 200: GuardianshipAssessmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def assessments(self, request: Request, pk: str | None = None) -> Response:
        """The guardianship capacity assessments (004 item 5), latest first; POST records one
        (idempotent on `client_token`); the household and each child show the latest result."""
        home = self.get_object()
        if request.method == "GET":
            return Response(
                GuardianshipAssessmentSerializer(home.assessments.all(), many=True).data
            )
        serializer = GuardianshipAssessmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        token = data.pop("client_token", None)
        try:
            assessment, created = household.assessment_record(
                by=self.request.user, household=home, values=data, client_token=token
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(
            GuardianshipAssessmentSerializer(assessment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=JoinSerializer, responses={200: HouseholdSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str | None = None) -> Response:
        """A registered child of the same village joins the household (its shared facts
        become the household's)."""
        home = self.get_object()
        serializer = JoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        child = scoping.get_visible_or_404(
            Child.objects.all(), self.request.user, pk=serializer.validated_data["child"]
        )
        try:
            household.household_join(by=self.request.user, child=child, household=home)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(HouseholdSerializer(home, context=self._context([home])).data)
