"""REST endpoints: /api/v1/case-plans/ (the caller's scope; create with `client_uuid`, a
retry answered with the first plan; PUT a draft or returned plan), POST .../submit/,
.../decide/ and .../reviews/; /api/v1/case-plan-actions/ (`mine`, `open`) and POST
.../<id>/done/."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from caseplans import selectors, services
from caseplans.models import CasePlan, PlanAction
from caseplans.serializers import (
    ActionDoneSerializer,
    ActionSerializer,
    CasePlanListSerializer,
    CasePlanSerializer,
    CasePlanWriteSerializer,
    DecideSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
    SubmitSerializer,
)
from children.models import Child
from core import scoping
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest


def _service_errors(exc: Exception) -> exceptions.APIException:
    if isinstance(exc, DjangoValidationError):
        return as_drf_error(exc)
    return exceptions.PermissionDenied(str(exc))


def _inputs(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "needs": data["needs"],
        "goals": [services.GoalInput(domain=g["domain"], text=g["text"]) for g in data["goals"]],
        "actions": [
            services.ActionInput(
                what=a["what"],
                due_on=a["due_on"],
                goal=a.get("goal"),
                provider_id=a.get("provider"),
                person_id=a.get("person"),
            )
            for a in data["actions"]
        ],
        "summary": data.get("summary", ""),
        "review_on": data.get("review_on"),
    }


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="open, or a status"),
            OpenApiParameter("child", int),
        ]
    ),
    create=extend_schema(request=CasePlanWriteSerializer, responses={201: CasePlanSerializer}),
    update=extend_schema(request=CasePlanWriteSerializer, responses={200: CasePlanSerializer}),
)
class CasePlanViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[CasePlan],
):
    """Case plans in the caller's scope, newest first."""

    request: AuthenticatedApiRequest
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return CasePlanListSerializer if self.action == "list" else CasePlanSerializer

    def get_queryset(self) -> QuerySet[CasePlan]:
        if self.action == "list":
            return selectors.plans_for(self.request.user, self.request.query_params)
        return selectors.plan_detail_queryset().visible_to(self.request.user)

    def _detail(self, plan: CasePlan, code: int = status.HTTP_200_OK) -> Response:
        fresh = scoping.get_visible_or_404(
            selectors.plan_detail_queryset(), self.request.user, pk=plan.pk
        )
        return Response(CasePlanSerializer(fresh).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A new draft plan for `child` (its director). The same `client_uuid` again answers
        200 with the first plan and saves nothing."""
        serializer = CasePlanWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data.get("child"):
            raise exceptions.ValidationError({"child": ["This field is required."]})
        child = Child.objects.visible_to(self.request.user).filter(pk=data["child"]).first()
        if child is None:
            raise exceptions.ValidationError({"child": ["This child is not in your regions."]})
        try:
            plan, written = services.plan_save(
                by=self.request.user,
                child=child,
                client_uuid=data.get("client_uuid"),
                **_inputs(data),
            )
        except (DjangoValidationError, PermissionDenied) as exc:
            raise _service_errors(exc) from exc
        return self._detail(plan, status.HTTP_201_CREATED if written else status.HTTP_200_OK)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a draft or returned plan (its goals and open actions replaced)."""
        plan = self.get_object()
        serializer = CasePlanWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            plan, _written = services.plan_save(
                by=self.request.user,
                child=plan.child,
                plan=plan,
                **_inputs(serializer.validated_data),
            )
        except (DjangoValidationError, PermissionDenied) as exc:
            raise _service_errors(exc) from exc
        return self._detail(plan)

    @extend_schema(request=SubmitSerializer, responses={200: CasePlanSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Ask for approval (the child's director)."""
        plan = self.get_object()
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            plan = services.plan_submit(
                by=request.user, plan=plan, comment=serializer.validated_data.get("comment", "")
            )
        except (DjangoValidationError, PermissionDenied) as exc:
            raise _service_errors(exc) from exc
        return self._detail(plan)

    @extend_schema(request=DecideSerializer, responses={200: CasePlanSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Approve or return (`comment` required) the plan (the town's supervisor; district
        civil affairs or the protection centre for a plan in a mandatory-report case)."""
        plan = self.get_object()
        serializer = DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            plan = services.plan_decide(
                by=request.user,
                plan=plan,
                approve=data["decision"] == "approve",
                comment=data.get("comment", ""),
            )
        except (DjangoValidationError, PermissionDenied) as exc:
            raise _service_errors(exc) from exc
        return self._detail(plan)

    @extend_schema(request=ReviewInputSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def reviews(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Review an approved plan: each goal's progress, and continue, change or close."""
        plan = self.get_object()
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            review, written = services.plan_review(
                by=request.user,
                plan=plan,
                progress=[
                    services.ProgressInput(
                        goal_id=p["goal"], progress=p["progress"], note=p.get("note", "")
                    )
                    for p in data["progress"]
                ],
                outcome=data["outcome"],
                note=data.get("note", ""),
                review_on=data.get("review_on"),
                client_uuid=data.get("client_uuid"),
            )
        except (DjangoValidationError, PermissionDenied) as exc:
            raise _service_errors(exc) from exc
        return Response(
            ReviewSerializer(review).data,
            status=status.HTTP_201_CREATED if written else status.HTTP_200_OK,
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("mine", bool, description="only the caller's actions"),
            OpenApiParameter("open", bool, description="only approved plans' open actions"),
        ]
    )
)
class PlanActionViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[PlanAction],
):
    """Case plan actions in the caller's scope, open first, then by due date."""

    request: AuthenticatedApiRequest
    serializer_class = ActionSerializer

    def get_queryset(self) -> QuerySet[PlanAction]:
        params = {
            key: "1"
            for key in ("mine", "open")
            if self.request.query_params.get(key) in {"1", "true", "True"}
        }
        return selectors.actions_for(self.request.user, params)

    @extend_schema(request=ActionDoneSerializer, responses={200: ActionSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Mark the action done (its person or the child's director), with what was done."""
        item = self.get_object()
        serializer = ActionDoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            item = services.action_done(
                by=request.user, action=item, note=serializer.validated_data.get("done_note", "")
            )
        except (DjangoValidationError, PermissionDenied) as exc:
            raise _service_errors(exc) from exc
        return Response(ActionSerializer(item).data)
