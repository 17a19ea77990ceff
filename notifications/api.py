"""/api/v1/notifications/: the caller's own notifications, unread first; mark one or all read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ReplicaListMixin
from core.http import AuthenticatedApiRequest
from notifications.inbox import inbox_for, notification_mark_read, notifications_mark_all_read
from notifications.models import Notification
from notifications.serializers import (
    NotificationSerializer,
)


class NotificationViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Notification],
):
    request: AuthenticatedApiRequest

    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        return inbox_for(
            self.request.user, unread_only=self.request.query_params.get("unread") in {"1", "true"}
        )

    @action(detail=True, methods=["post"])
    def read(self, request: AuthenticatedApiRequest, pk: Any = None) -> Response:
        notification = notification_mark_read(notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("MarkedRead", {"marked_read": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: AuthenticatedApiRequest) -> Response:
        count = notifications_mark_all_read(user=request.user)
        return Response({"marked_read": count})
