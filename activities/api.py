"""REST endpoints: /api/v1/activities/ (the caller's scope; filters kind, year, region;
creating is idempotent on `client_uuid`, JSON or multipart with photos) and
/api/v1/activities/summary/ (the year's figures)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from activities import selectors, services
from activities.models import Activity
from activities.serializers import (
    ActivityCreateSerializer,
    ActivityDashboardSerializer,
    ActivityFilterSerializer,
    ActivitySerializer,
    ActivityYearSerializer,
)
from children.models import Child
from core import clock, permissions
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest
from providers.models import ServiceProvider


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("kind", str),
            OpenApiParameter("year", int),
            OpenApiParameter("region", int, description="a region's id: it and the areas in it"),
        ]
    )
)
class ActivityViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Activity],
):
    """Care activities in the caller's scope, newest first. Each lists only the children the
    caller may see (`children`); `children_count` counts everyone who took part."""

    request: AuthenticatedApiRequest
    serializer_class = ActivitySerializer
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Activity]:
        params: dict[str, Any] = {}
        if self.action == "list":
            flt = ActivityFilterSerializer(data=self.request.query_params)
            flt.is_valid(raise_exception=True)
            params = dict(flt.validated_data)
        return selectors.activities_for(self.request.user, params).prefetch_related("photos")

    @extend_schema(
        request=ActivityCreateSerializer,
        responses={201: ActivitySerializer, 200: ActivitySerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record an activity. The same `client_uuid` again returns the first one (200)."""
        user = self.request.user
        token = request.data.get("client_uuid") if hasattr(request.data, "get") else None
        if token:
            try:
                earlier = Activity.objects.visible_to(user).filter(client_uuid=token).first()
            except DjangoValidationError:
                earlier = None
            if earlier is not None:
                return Response(self._one(earlier.pk), status=status.HTTP_200_OK)
        permissions.require_work(user)
        serializer = ActivityCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        regions = {r.pk: r for r in services.organiser_regions(user)}
        region = regions.get(data["region"])
        if region is None:
            raise exceptions.ValidationError(
                {"region": [_("You do not organise activities for this area.")]}
            )
        provider = None
        if data.get("provider"):
            # The service checks it is active and of the area's district.
            provider = (
                ServiceProvider.objects.select_related("district")
                .filter(pk=data["provider"])
                .first()
            )
            if provider is None:
                raise exceptions.ValidationError(
                    {"provider": [_("Choose an active service provider of the area's district.")]}
                )
        ids = list(dict.fromkeys(data.get("children", [])))
        children = list(Child.objects.visible_to(user).filter(pk__in=ids))
        if len(children) < len(ids):
            raise exceptions.ValidationError(
                {"children": [_("A child chosen is not in your regions.")]}
            )
        try:
            activity, created = services.activity_record(
                by=user,
                values=services.ActivityInput(
                    region=region,
                    provider=provider,
                    kind=data["kind"],
                    topics=data.get("topics", []),
                    title=data["title"],
                    held_on=data["held_on"],
                    place=data["place"],
                    volunteers=data.get("volunteers", ""),
                    notes=data.get("notes", ""),
                ),
                children=children,
                photos=data.get("photos", []),
                client_uuid=data["client_uuid"],
                today=clock.today(),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(
            self._one(activity.pk),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _one(self, pk: int) -> Any:
        activity = selectors.activities_for(self.request.user).prefetch_related("photos").get(pk=pk)
        return ActivitySerializer(activity).data

    @extend_schema(
        parameters=[OpenApiParameter("year", int)], responses={200: ActivityDashboardSerializer}
    )
    @action(detail=False, methods=["get"])
    def summary(self, request: AuthenticatedApiRequest) -> Response:
        """The year's figures in the caller's regions: activities by type and area, the
        villages without a safety-education activity, the children who took part in none."""
        if not services.sees_activities(request.user):
            raise exceptions.NotFound
        params = ActivityYearSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        year = params.validated_data.get("year") or clock.today().year
        figures = selectors.dashboard(request.user, year)
        return Response(ActivityDashboardSerializer(figures).data)
