"""REST endpoints: /api/v1/reports/ (file, idempotent on client_uuid; list scoped, filterable
by stage; retrieve) and /api/v1/reports/<id>/steps/ (list, append). Rows come from the scoping
module; writes from reports.filing, reports.workflow and reports.sharing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import permissions
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest
from org.models import User
from reports import filing, selectors, sharing, workflow
from reports.models import MandatoryReport, ReportStep, StepKind
from reports.serializers import (
    LinkSerializer,
    ReportSerializer,
    ShareSerializer,
    StepReadSerializer,
    StepSerializer,
)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("stage", str)]))
class ReportViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[MandatoryReport],
):
    """Mandatory reports in the caller's scope. Filing is idempotent on `client_uuid` (the
    same id again returns the first report with 200) and never blocked by the certification
    gate (R17)."""

    request: AuthenticatedApiRequest

    serializer_class = ReportSerializer

    def get_queryset(self) -> QuerySet[MandatoryReport]:
        reports = selectors.reports_for(self.request.user).order_by("-created_at", "-pk")
        if self.action == "list" and (stage := self.request.query_params.get("stage")):
            reports = reports.filter(stage=stage)
        return reports

    @extend_schema(responses={201: ReportSerializer, 200: ReportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = request.data.get("client_uuid") if hasattr(request.data, "get") else None
        if token:
            try:
                earlier = (
                    MandatoryReport.objects.visible_to(self.request.user)
                    .filter(client_uuid=token)
                    .first()
                )
            except DjangoValidationError:
                earlier = None
            if earlier is not None:
                return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        client_uuid = data.pop("client_uuid")
        try:
            report, created = filing.report_file(
                by=self.request.user,
                data=filing.ReportInput(**data),
                client_uuid=client_uuid,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(
            self.get_serializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(methods=["GET"], request=None, responses=StepReadSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=StepSerializer,
        responses={200: StepReadSerializer, 201: StepReadSerializer},
    )
    @action(
        detail=True, methods=["get", "post"], serializer_class=StepSerializer, pagination_class=None
    )
    def steps(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """The case's steps (GET), or append one (POST). Steps are never changed or deleted."""
        report = self.get_object()  # out of scope: 404
        if request.method == "GET":
            steps = StepReadSerializer(selectors.timeline(report), many=True).data
            if not sharing.may_see_reporter(request.user, report):
                for row in steps:
                    if row["kind"] == StepKind.REPORT:
                        row["by"] = None
            return Response(steps)
        permissions.require_work(request.user)
        serializer = StepSerializer(data=request.data)
        serializer.fields["corrects"].queryset = ReportStep.objects.filter(report=report)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            step = workflow.report_add_step(
                by=request.user,
                report=report,
                data=workflow.StepInput(
                    kind=data["kind"],
                    what=data.get("what", ""),
                    stage=data.get("stage", ""),
                    done_at=data.get("done_at"),
                    child_location=data.get("child_location", ""),
                    next_step=data.get("next_step", ""),
                    next_due_at=data.get("next_due_at"),
                    corrects=data.get("corrects"),
                ),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(StepReadSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LinkSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"], serializer_class=LinkSerializer)
    def link(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Link a report about an unregistered child to the child's archive (a child in the
        caller's scope; once). Recorded as a step."""
        report = self.get_object()
        permissions.require_work(request.user)
        serializer = LinkSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            workflow.report_link_child(
                by=request.user,
                report=report,
                child=serializer.validated_data["child"],
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        report.refresh_from_db()
        return Response(ReportSerializer(report, context={"request": request}).data)

    def _shareable(self) -> MandatoryReport:
        report = self.get_object()
        if not sharing.may_share(self.request.user, report):
            raise Http404
        return report

    @extend_schema(request=ShareSerializer, responses={201: StepReadSerializer})
    @action(detail=True, methods=["post"], serializer_class=ShareSerializer)
    def share(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Share the case with a named active staff member (by username), with a reason:
        district civil affairs and the protection centre of the case's district only."""
        report = self._shareable()
        serializer = ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            step = sharing.report_share(
                by=request.user,
                report=report,
                grantee=serializer.validated_data["user"],
                reason=serializer.validated_data.get("reason", ""),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc, rename={"grantee": "user"}) from exc
        return Response(StepReadSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ShareSerializer, responses={201: StepReadSerializer})
    @action(detail=True, methods=["post"], serializer_class=ShareSerializer)
    def unshare(self, request: AuthenticatedApiRequest, pk: str | None = None) -> Response:
        """Revoke a share (by username)."""
        report = self._shareable()
        serializer = ShareSerializer(data=request.data, people=User.objects.all())
        serializer.is_valid(raise_exception=True)
        try:
            step = sharing.report_unshare(
                by=request.user,
                report=report,
                grantee=serializer.validated_data["user"],
                reason=serializer.validated_data.get("reason", ""),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc, rename={"grantee": "user"}) from exc
        return Response(StepReadSerializer(step).data, status=status.HTTP_201_CREATED)
