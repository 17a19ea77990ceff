"""REST endpoints of training: /api/v1/training/courses/, sessions/, attendance/, results/ and
files/<user_id>/. Querysets start from the scoping module (out of scope is a 404 or empty);
writes go through training.services, whose ValidationError becomes a 400 with field errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core import permissions
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest, signed_in
from training import selectors, services
from training.models import Attendance, Course, Result, Session
from training.serializers import (
    AttendanceSerializer,
    CourseSerializer,
    FileRowSerializer,
    ResultSerializer,
    SessionSerializer,
    TrainingFileSerializer,
    TrainingStatusSerializer,
)


def _visible_session(request: AuthenticatedApiRequest, session: Session) -> Session:
    if not Session.objects.visible_to(request.user).filter(pk=session.pk).exists():
        raise NotFound
    return session


class CourseViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Course],
):
    """Courses of the caller's district."""

    request: AuthenticatedApiRequest

    serializer_class = CourseSerializer

    def get_queryset(self) -> QuerySet[Course]:
        return (
            Course.objects.visible_to(self.request.user)
            .select_related("district")
            .prefetch_related("materials")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            course = services.course_save(
                by=self.request.user,
                title=data["title"],
                topics=data["topics"],
                description=data.get("description", ""),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(course).data, status=status.HTTP_201_CREATED)


class SessionViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Session],
):
    """Sessions organised in the caller's scope or to which they are invited."""

    request: AuthenticatedApiRequest

    serializer_class = SessionSerializer

    def get_queryset(self) -> QuerySet[Session]:
        return (
            Session.objects.visible_to(self.request.user)
            .select_related("course", "region")
            .prefetch_related("invitees")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            session = services.session_save(
                by=self.request.user,
                data=services.SessionInput(
                    course=data["course"],
                    organiser_level=data["organiser_level"],
                    region=data["region"],
                    date=data["date"],
                    place=data["place"],
                    trainer=data["trainer"],
                    invitees=list(data["invitees"]),
                ),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(session).data, status=status.HTTP_201_CREATED)


class AttendanceViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Attendance],
):
    """Attendance in visible sessions; `?session=<id>` filters. POST records or corrects."""

    request: AuthenticatedApiRequest

    serializer_class = AttendanceSerializer

    def get_queryset(self) -> QuerySet[Attendance]:
        rows = Attendance.objects.filter(selectors.session_rows_q(self.request.user)).order_by(
            "session_id", "user_id"
        )
        if session := self.request.query_params.get("session"):
            rows = rows.filter(session_id=session) if session.isdigit() else rows.none()
        return rows

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = _visible_session(self.request, data["session"])
        try:
            row = services.attendance_record(
                by=self.request.user,
                session=session,
                user=data["user"],
                attended=data.get("attended", True),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


class ResultViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Result],
):
    """Assessment results in visible sessions; `?session=<id>` filters. POST records or
    corrects one (certification is recomputed in the same transaction)."""

    request: AuthenticatedApiRequest

    serializer_class = ResultSerializer

    def get_queryset(self) -> QuerySet[Result]:
        rows = Result.objects.filter(selectors.session_rows_q(self.request.user)).order_by(
            "session_id", "user_id"
        )
        if session := self.request.query_params.get("session"):
            rows = rows.filter(session_id=session) if session.isdigit() else rows.none()
        return rows

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = _visible_session(self.request, data["session"])
        try:
            row = services.result_record(
                by=self.request.user,
                session=session,
                user=data["user"],
                score=data["score"],
                passed=data.get("passed"),
                assessor=data.get("assessor", ""),
                assessed_on=data.get("assessed_on"),
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema(responses=TrainingFileSerializer)
@api_view(["GET"])
def training_file(request: Request, user_id: int) -> Response:
    """A worker's training file: certification state and every session with its result."""
    from django.http import Http404

    try:
        owner = selectors.file_owner_or_404(signed_in(request), user_id)
    except Http404 as exc:
        raise NotFound from exc
    file = selectors.training_file(owner)
    return Response(
        {
            "user": owner.pk,
            "real_name": owner.real_name,
            "certified": bool(file.status and file.status.certified_on),
            "status": TrainingStatusSerializer(file.status).data if file.status else None,
            "work_refusal": permissions.work_refusal(owner),
            "sessions": FileRowSerializer(file.rows, many=True).data,
        }
    )
