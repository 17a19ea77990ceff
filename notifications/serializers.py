"""The serializer of the notifications API (notifications/api.py)."""

from __future__ import annotations

from rest_framework import serializers

from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "child", "created", "read_at"]
        read_only_fields = fields
