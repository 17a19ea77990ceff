"""REST endpoints of supervision, over the same selectors and services as the pages:

* /api/v1/assessments/ — written annual assessments (list scoped, create, correct by the
  author) and /api/v1/assessments/figures/?area=&start=&end= (figures per worker);
* /api/v1/spot-checks/ — draws (list scoped, detail with progress per town, create = draw),
  /api/v1/spot-checks/<id>/items/, /api/v1/spot-checks/items/<id>/ (+ check/),
  /api/v1/spot-checks/rectifications/<id>/done/.
Out of scope is a 404; bad input a 400 with field errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from children.audit import log_access
from children.models import AccessAction, Child
from core import clock, permissions, scoping
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest, signed_in
from supervision import figures, selectors, services
from supervision.models import (
    CHECKLIST_FIELDS,
    SpotCheck,
    SpotCheckItem,
    WorkerAssessment,
)
from supervision.serializers import (
    AssessmentCorrectionSerializer,
    AssessmentSerializer,
    CheckSerializer,
    DoneSerializer,
    ItemSerializer,
    PeriodSerializer,
    RectificationSerializer,
    SpotCheckSerializer,
)

# --- Written assessments and figures -----------------------------------------------------------


def _figures_row(row: figures.WorkerFigures) -> dict[str, Any]:
    return {
        "worker": row.worker.pk,
        "username": row.worker.username,
        "name": row.worker.real_name,
        "role": row.role,
        "regions": [r.code for r in row.regions],
        "visits_on_time": row.visits_on_time,
        "visits_late": row.visits_late,
        "archives": row.archives,
        "archives_current": row.archives_current,
        "reports_filed": row.reports_filed,
        "steps_on_time": row.steps_on_time,
        "steps_late": row.steps_late,
        "inspections_expected": row.inspections_expected,
        "inspections_done": row.inspections_done,
        "certified": row.certified,
        "rotation": row.rotation,
        "assessment": row.written.pk if row.written else None,
        "rating": row.written.rating if row.written else None,
    }


class AssessmentViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[WorkerAssessment],
):
    """Annual written assessments the caller may read (their own and their supervisor
    chain's). A town supervisor writes them for the directors of the town, civil affairs for
    the supervisors of the district; the author corrects (PATCH)."""

    request: AuthenticatedApiRequest

    serializer_class = AssessmentSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[WorkerAssessment]:
        written = selectors.assessments_for(self.request.user)
        year = self.request.query_params.get("year")
        if self.action == "list" and year:
            if not year.isdigit():
                raise serializers.ValidationError({"year": [_("Give a year such as 2026.")]})
            written = written.filter(year=int(year))
        return written

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = services.assessable(self.request.user, data["year"]).get(data["worker_id"])
        if target is None:
            raise Http404
        try:
            written = services.assessment_write(
                by=self.request.user,
                worker=target.user,
                year=data["year"],
                rating=data["rating"],
                text=data["text"],
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(written).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssessmentCorrectionSerializer, responses={200: AssessmentSerializer})
    def partial_update(
        self, request: AuthenticatedApiRequest, *args: Any, **kwargs: Any
    ) -> Response:
        written = self.get_object()
        serializer = AssessmentCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.assessment_correct(
                by=request.user,
                assessment=written,
                **serializer.validated_data,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(written).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("area", int, description="region id (default: the first)"),
            OpenApiParameter("start", str, description="YYYY-MM-DD (default: 1 January)"),
            OpenApiParameter("end", str, description="YYYY-MM-DD (default: today)"),
        ],
        responses={200: dict},
    )
    @action(detail=False, methods=["get"])
    def figures(self, request: AuthenticatedApiRequest) -> Response:
        """Figures per worker of the caller's town (directors) or district (directors and
        supervisors) over a period; see supervision/figures.py for the definitions."""
        params = PeriodSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        area = figures.area_for(request.user, params.validated_data.get("area"))
        if area is None:
            raise Http404
        start, end = params.validated_data["start"], params.validated_data["end"]
        rows = figures.assessment(request.user, area, start, end, clock.today())
        return Response(
            {
                "area": area.code,
                "start": start,
                "end": end,
                "records_window": figures.records_window(end),
                "workers": [_figures_row(r) for r in rows],
            }
        )


# --- Spot-checks --------------------------------------------------------------------------------


class SpotCheckViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[SpotCheck],
):
    """Annual archive spot-checks of the caller's district; a supervisor or director sees
    their part of each. District civil affairs draw one (POST) per district and year."""

    request: AuthenticatedApiRequest

    serializer_class = SpotCheckSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[SpotCheck]:
        return selectors.spot_checks_for(self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        spot_check = self.get_object()
        progress = selectors.progress(self.request.user, spot_check, clock.today())
        data = dict(self.get_serializer(spot_check).data)
        data["towns"] = [
            {
                "town": t.town.code,
                "name": t.town.name,
                "population": t.population,
                "drawn": t.drawn,
                "checked": t.checked,
                "passed": t.passed,
                "open_rectifications": t.open_items,
                "overdue_rectifications": t.overdue_items,
            }
            for t in progress.towns
        ]
        return Response(data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Out of the caller's districts (or no such district): 404.
        managed = {d.pk: d for d in permissions.managed_districts(self.request.user)}
        district = managed.get(data["district_id"])
        if district is None:
            raise Http404
        try:
            spot_check = services.spot_check_draw(
                by=self.request.user,
                district=district,
                year=data["year"],
                percentage=data["percentage"],
                seed=data.get("seed"),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(spot_check).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ItemSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def items(self, request: AuthenticatedApiRequest, pk: Any = None) -> Response:
        """The drawn archives of this spot-check that the caller may see."""
        spot_check = self.get_object()
        items = (
            selectors.items_for(request.user)
            .filter(spot_check=spot_check)
            .select_related("child", "checked_by")
            .prefetch_related("rectifications")
            .order_by("region_code", "pk")
        )
        page = self.paginate_queryset(items)  # type: ignore[arg-type]  # items, not spot-checks
        return self.get_paginated_response(ItemSerializer(page, many=True).data)


class SpotCheckItemViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[SpotCheckItem]):
    """One drawn archive: its checklist, the suggestions, findings and rectification items.
    POST check/ records (or corrects) the check: district civil affairs."""

    request: AuthenticatedApiRequest

    serializer_class = ItemSerializer

    def get_queryset(self) -> QuerySet[SpotCheckItem]:
        return (
            selectors.items_for(self.request.user)
            .select_related("child", "checked_by")
            .prefetch_related("rectifications")
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        log_access(request, AccessAction.API_VIEW, child=item.child)
        data = dict(self.get_serializer(item).data)
        child = selectors.with_archive_facts(Child.objects.filter(pk=item.child_id)).get()
        data["suggestions"] = selectors.suggestions(child, clock.today())
        return Response(data)

    @extend_schema(request=CheckSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request: AuthenticatedApiRequest, pk: Any = None) -> Response:
        item = self.get_object()
        serializer = CheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            item = services.spot_check_record(
                by=request.user,
                item=item,
                answers={name: data[name] for name in CHECKLIST_FIELDS},
                findings=data.get("findings", ""),
                rectifications=[
                    services.RectificationInput(r["text"], r["due_on"])
                    for r in data.get("rectifications", [])
                ],
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data)


@extend_schema(request=DoneSerializer, responses={200: RectificationSerializer})
@api_view(["POST"])
def rectification_done(request: Request, pk: int) -> Response:
    """Mark a spot-check rectification item done (`done_on`, default today): the town's
    supervisor or district civil affairs."""
    user = signed_in(request)
    rect = scoping.get_visible_or_404(
        selectors.rectifications_for(user).select_related("item"), user, pk=pk
    )
    serializer = DoneSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        rect = services.spot_rectification_done(
            by=user,
            rectification=rect,
            done_on=serializer.validated_data.get("done_on"),
        )
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc
    return Response(RectificationSerializer(rect).data)
