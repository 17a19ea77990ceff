"""REST endpoints of export jobs: POST /api/v1/exports/ queues a job (202 with its status
URL), GET lists the caller's own jobs, GET /api/v1/exports/<id>/ reads status and progress
with a download link when ready, GET /api/v1/exports/<id>/download/ returns the file. Rules
and scoping are in exports.services, shared with the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import clock
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest
from exports import selectors, services
from exports.models import ExportJob, NationalExport
from exports.serializers import (
    ExportJobSerializer,
    ExportRequestSerializer,
    NationalExportSerializer,
)


class ExportJobViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[ExportJob],
):
    """The caller's export jobs (in regions still in their scope)."""

    request: AuthenticatedApiRequest

    serializer_class = ExportJobSerializer
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"  # a job id is a UUID; anything else is a 404

    def get_queryset(self) -> QuerySet[ExportJob]:
        return selectors.jobs_for(self.request.user)

    def get_object(self) -> ExportJob:
        return selectors.job_or_404(self.request.user, self.kwargs["pk"])

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportJobSerializer})
    def create(self, request: AuthenticatedApiRequest, *args: Any, **kwargs: Any) -> Response:
        data = ExportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = services.export_request(
                user=request.user,
                kind=data.validated_data["kind"],
                area_code=data.validated_data["area"],
                params={
                    "date": data.validated_data.get("date"),
                    "mode": data.validated_data["mode"],
                },
                today=clock.today(),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        job.refresh_from_db()
        body = ExportJobSerializer(job, context={"request": request}).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]}
        )

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: AuthenticatedApiRequest, pk: Any = None) -> FileResponse:
        # A storage that fails: core.storage.StorageDown, a 503 {"detail": ...}.
        job, stream = services.export_download(request=request._request, job_id=pk, now=clock.now())
        return FileResponse(stream, as_attachment=True, filename=job.download_name())


@extend_schema(
    parameters=[
        OpenApiParameter(
            "area",
            str,
            description="Only this region (12-digit division code of a district or a town).",
        )
    ]
)
class NationalExportViewSet(ReplicaListMixin, viewsets.ReadOnlyModelViewSet[NationalExport]):
    """The ledger of exports for the national children's welfare information system: what
    was exported when and by whom, for the regions in the caller's scope (district staff and
    town supervisors)."""

    request: AuthenticatedApiRequest

    serializer_class = NationalExportSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[NationalExport]:
        if not selectors.may_read_ledger(self.request.user):
            raise PermissionDenied(
                _("The ledger is read by district civil-affairs staff and town supervisors.")
            )
        area = str(self.request.query_params.get("area", "")).strip()[:12]
        return selectors.national_ledger(self.request.user, area)
