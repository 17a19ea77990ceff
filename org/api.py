"""REST endpoints for regions, staff and assignments; every queryset is `visible_to`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core import clock, permissions
from core.api import as_drf_error
from core.http import AuthenticatedApiRequest
from org import selectors, services
from org.models import Assignment, Region, User
from org.serializers import (
    AssignmentEndSerializer,
    AssignmentSerializer,
    RegionSerializer,
    StaffCreatedSerializer,
    StaffSerializer,
)


class RegionViewSet(viewsets.ReadOnlyModelViewSet[Region]):
    """Regions in the caller's scope. Filters: `level`, `parent` (id), `code_prefix`."""

    request: AuthenticatedApiRequest

    serializer_class = RegionSerializer

    def get_queryset(self) -> QuerySet[Region]:
        regions = Region.objects.visible_to(self.request.user).select_related("parent")
        params = self.request.query_params
        if level := params.get("level"):
            regions = regions.filter(level=level)
        if parent := params.get("parent"):
            if not parent.isdigit():
                raise serializers.ValidationError({"parent": _("Give a region id.")})
            regions = regions.filter(parent_id=int(parent))
        if prefix := params.get("code_prefix"):
            if not prefix.isdigit() or len(prefix) > 12:
                raise serializers.ValidationError(
                    {"code_prefix": _("Give up to 12 digits of a division code.")}
                )
            regions = regions.filter(code__startswith=prefix)
        return regions


def _require_staff_manager(request: AuthenticatedApiRequest) -> None:
    if not permissions.can_manage_staff(request.user):
        raise PermissionDenied(_("Only district civil-affairs staff manage staff."))


class StaffViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[User],
):
    """Staff records kept by the caller's district (civil-affairs staff only)."""

    request: AuthenticatedApiRequest

    serializer_class = StaffSerializer

    def get_queryset(self) -> QuerySet[User]:
        return User.objects.visible_to(self.request.user).select_related("managing_district")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        _require_staff_manager(self.request)

    @extend_schema(responses={201: StaffCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = StaffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "status"}
        try:
            staff, password = services.staff_create(
                by=self.request.user,
                district=permissions.managed_districts(self.request.user)[0],
                **data,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        out = StaffCreatedSerializer(staff, context={"initial_password": password})
        return Response(out.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer[User]) -> None:
        fields = dict(serializer.validated_data)
        fields.pop("username", None)
        try:
            services.staff_update(
                by=self.request.user,
                staff=serializer.instance,  # type: ignore[arg-type]  # an update has its instance
                **fields,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc


class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Assignment],
):
    """Assignments in the caller's scope (history included). Filters: `user`, `role`,
    `active` (true/false). Create and end are for civil-affairs staff of the district."""

    request: AuthenticatedApiRequest

    serializer_class = AssignmentSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": clock.today()}

    def get_queryset(self) -> QuerySet[Assignment]:
        params = self.request.query_params
        user = params.get("user")
        active = params.get("active")
        return selectors.assignment_list(
            self.request.user,
            user_id=int(user) if user and user.isdigit() else None,
            role=params.get("role") or "",
            active=active == "true" if active in ("true", "false") else None,
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_staff_manager(self.request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The serializer only accepts people and regions visible to the caller.
        data = serializer.validated_data
        try:
            assignment = services.assignment_create(
                by=self.request.user,
                user=data["user"],
                region=data["region"],
                role=data["role"],
                start_date=data["start_date"],
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssignmentEndSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        _require_staff_manager(request)
        assignment = self.get_object()
        payload = AssignmentEndSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            ended = services.assignment_end(
                by=request.user,
                assignment=assignment,
                end_date=payload.validated_data.get("end_date"),
                reason=payload.validated_data["end_reason"],
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(ended).data)
