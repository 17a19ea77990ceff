"""REST endpoints: /api/v1/visits/ (create idempotent on client_uuid), a child's schedule,
/api/v1/inspections/. Rows come from the scoping module; writes from visits.services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from children.audit import log_access_each
from children.models import AccessAction, Child
from core import clock, permissions, scoping
from core.api import ReplicaListMixin, as_drf_error, replica_list
from core.http import AuthenticatedApiRequest, signed_in
from visits import followups, inspections, offline, selectors, services
from visits.models import FollowUp, Inspection, Rectification, Visit
from visits.serializers import (
    FollowUpSerializer,
    InspectionRectificationItemSerializer,
    InspectionSerializer,
    OfflineCopySerializer,
    RectificationFilterSerializer,
    VisitCorrectionSerializer,
    VisitFilterSerializer,
    VisitSerializer,
    WorkItemDoneSerializer,
)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("child", int),
            OpenApiParameter("kind", str),
            OpenApiParameter("date_from", str, description="YYYY-MM-DD"),
            OpenApiParameter("date_to", str, description="YYYY-MM-DD"),
        ]
    )
)
class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Visit],
):
    """Visits in the caller's scope. Creating is idempotent on `client_uuid`: the same id
    again returns the first visit with 200. A household visit names the `siblings` it is also
    for (children of the same household, each with its own `concerns` and `note`): one visit
    is stored per child, listed in `household_visits`."""

    request: AuthenticatedApiRequest

    serializer_class = VisitSerializer

    def get_queryset(self) -> QuerySet[Visit]:
        params: dict[str, Any] = {}
        if self.action == "list":
            flt = VisitFilterSerializer(data=self.request.query_params)
            flt.is_valid(raise_exception=True)
            params = dict(flt.validated_data)
        return selectors.visits_for(self.request.user, params).prefetch_related("follow_ups")

    @replica_list
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page) if page is not None else list(queryset)
        context = {
            **self.get_serializer_context(),
            "household_map": services.household_map(self.request.user, rows),
        }
        data = VisitSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(responses={201: VisitSerializer, 200: VisitSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = request.data.get("client_uuid") if hasattr(request.data, "get") else None
        if token:
            try:
                earlier = (
                    Visit.objects.visible_to(self.request.user).filter(client_uuid=token).first()
                )
            except DjangoValidationError:
                earlier = None
            if earlier is not None:
                return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        permissions.require_work(self.request.user)  # the certification gate: a 403 with its reason
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        follow_ups = [
            followups.FollowUpInput(f["text"], f["due_on"], f.get("urgent", False))
            for f in data.pop("follow_ups", [])
        ]
        siblings = [
            services.SiblingInput(
                child=s["child"], concerns=tuple(s.get("concerns") or ()), note=s.get("note", "")
            )
            for s in data.pop("siblings", [])
        ]
        try:
            visit, created = services.visit_record(
                by=self.request.user,
                child=data.pop("child"),
                values=data,
                follow_ups=follow_ups,
                client_uuid=data.pop("client_uuid"),
                siblings=siblings,
                child_note=data.pop("child_note", ""),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(
            self.get_serializer(visit).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=VisitCorrectionSerializer, responses={200: VisitSerializer})
    def partial_update(
        self, request: AuthenticatedApiRequest, *args: Any, **kwargs: Any
    ) -> Response:
        """Correct a visit: its author within 7 days; afterwards the town supervisor, with a
        reason. The earlier version stays in the visit's history."""
        visit = self.get_object()  # out of scope: 404
        permissions.require_work(request.user)
        serializer = VisitCorrectionSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        try:
            services.visit_correct(
                by=request.user,
                visit=visit,
                values=data,
                reason=reason,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(self.get_serializer(visit).data)

    @extend_schema(request=FollowUpSerializer, responses={201: FollowUpSerializer})
    @action(detail=True, methods=["post"], url_path="follow-ups")
    def follow_ups(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Add a follow-up item (`text`, `due_on`, `urgent`) to a saved visit: its author or
        the child's director."""
        visit = self.get_object()  # out of scope: 404
        serializer = FollowUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            item = followups.followup_add(
                by=request.user,
                visit=visit,
                item=followups.FollowUpInput(
                    data["text"], data["due_on"], data.get("urgent", False)
                ),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(FollowUpSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(request=WorkItemDoneSerializer, responses={200: FollowUpSerializer})
@api_view(["POST"])
def follow_up_done(request: Request, pk: int) -> Response:
    """Mark a follow-up item done (`done_on`, default today; `done_note`, what was done): the
    visit's author or the child's director. Marking it again changes nothing (200)."""
    user = signed_in(request)
    item = scoping.get_visible_or_404(
        FollowUp.objects.select_related("visit__child", "done_by"), user, pk=pk
    )
    serializer = WorkItemDoneSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        item = followups.followup_done(
            by=user,
            item=item,
            done_on=serializer.validated_data.get("done_on"),
            note=serializer.validated_data.get("done_note", ""),
        )
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc
    return Response(FollowUpSerializer(item).data)


@extend_schema(responses={200: OfflineCopySerializer})
@api_view(["GET"])
def offline_copy(request: Request) -> Response:
    """What a village director's phone keeps for work without a network (child directors
    only): her own children with the fields the phone shows, masked ID numbers, open
    follow-up and rectification items, her open findings. Each child sent is logged like a
    view of it."""
    user = signed_in(request)
    today = clock.today()
    copy = offline.offline_copy(user, today)
    log_access_each(request._request, AccessAction.DEVICE_DOWNLOAD, [c.pk for c in copy.children])
    body = {
        "generated_at": clock.now(),
        "today": today,
        "max_age_days": settings.OFFLINE_MAX_AGE_DAYS,
        "user": {
            "id": user.pk,
            "name": user.get_full_name(),
            "village_names": [v.name for v in copy.villages],
        },
        "children": copy.children,
        "rectifications": copy.rectifications,
        "tasks": copy.tasks,
    }
    context = {"today": today, "follow_ups": copy.follow_ups, "user": user}
    return Response(OfflineCopySerializer(body, context=context).data)


@extend_schema(responses={200: dict})
@api_view(["GET"])
def child_schedule(request: Request, child_pk: int) -> Response:
    """A child's next due dates and recent visits."""
    child = scoping.get_visible_or_404(Child.objects.all(), signed_in(request), pk=child_pk)
    recent = selectors.recent_visits(child)[:10]
    return Response(
        {
            "child": child.pk,
            "status": child.status,
            "is_key": child.is_key,
            "next_contact_due": child.next_contact_due,
            "next_home_visit_due": child.next_home_visit_due,
            "recent_visits": [
                {
                    "id": v.pk,
                    "kind": v.kind,
                    "visit_date": v.visit_date,
                    "author": v.author.username,
                }
                for v in recent
            ],
        }
    )


class InspectionViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Inspection],
):
    """Village inspections (R16) in the caller's scope; supervisors record them."""

    request: AuthenticatedApiRequest

    serializer_class = InspectionSerializer

    def get_queryset(self) -> QuerySet[Inspection]:
        return (
            Inspection.objects.visible_to(self.request.user)
            .select_related("supervisor")
            .prefetch_related("rectifications")
            .order_by("-inspected_on", "-pk")
        )

    @extend_schema(responses={201: InspectionSerializer, 200: InspectionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            inspection, created = inspections.inspection_record(
                by=self.request.user,
                village=data["village"],
                inspected_on=data["inspected_on"],
                checklist={name: data.get(name, False) for name in inspections.CHECKLIST},
                findings=data.get("findings", ""),
                rectifications=[
                    inspections.RectificationInput(r["text"], r["due_on"])
                    for r in data.get("rectifications", [])
                ],
                client_uuid=data["client_uuid"],
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(
            self.get_serializer(inspection).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- Rectification items (R16) ----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("village", str, description="Village's 12-digit division code"),
            OpenApiParameter("town", str, description="Town's 12-digit division code"),
            OpenApiParameter("open", bool, description="true: open items; false: done ones"),
            OpenApiParameter("overdue", bool, description="true: open items past their due date"),
            OpenApiParameter("due_before", str, description="YYYY-MM-DD: due before this day"),
        ]
    )
)
class RectificationViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Rectification],
):
    """Rectification items of village inspections (R16) in the caller's scope: open ones
    first, then by due date. The town's supervisor or the village's director marks one done."""

    request: AuthenticatedApiRequest

    serializer_class = InspectionRectificationItemSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": clock.today()}

    def get_queryset(self) -> QuerySet[Rectification]:
        params: dict[str, Any] = {}
        if self.action == "list":
            flt = RectificationFilterSerializer(data=self.request.query_params)
            flt.is_valid(raise_exception=True)
            params = dict(flt.validated_data)
        items: QuerySet[Rectification] = selectors.rectifications_for(
            self.request.user, params, clock.today()
        )
        return items

    @extend_schema(
        request=WorkItemDoneSerializer, responses={200: InspectionRectificationItemSerializer}
    )
    @action(detail=True, methods=["post"])
    def done(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Mark the item done (`done_on`, default today; `done_note`, what was done). Marking
        it again changes nothing (200)."""
        item = self.get_object()  # out of scope: 404
        serializer = WorkItemDoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            item = inspections.rectification_done(
                by=request.user,
                item=item,
                done_on=serializer.validated_data.get("done_on"),
                note=serializer.validated_data.get("done_note", ""),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(item).data)
