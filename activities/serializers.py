from __future__ import annotations

from typing import Any

from rest_framework import serializers

from activities.models import Activity, ActivityKind, SafetyTopic
from activities.services import MAX_CHILDREN, MAX_PHOTOS


class ActivityAttendeeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="child.pk")
    name = serializers.CharField(source="child.name")
    village = serializers.CharField(source="child.village.name")


class ActivitySerializer(serializers.ModelSerializer[Activity]):
    region = serializers.IntegerField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    provider = serializers.IntegerField(source="provider_id", read_only=True, allow_null=True)
    provider_name = serializers.CharField(
        source="provider.name", read_only=True, default=None, allow_null=True
    )
    children_count = serializers.IntegerField(read_only=True)
    # Only the children the caller may see; `children_count` counts them all.
    children = ActivityAttendeeSerializer(source="seen_attendances", many=True, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "client_uuid",
            "region",
            "region_name",
            "provider",
            "provider_name",
            "kind",
            "topics",
            "title",
            "held_on",
            "place",
            "volunteers",
            "notes",
            "children_count",
            "children",
            "photos",
            "created_at",
        ]
        read_only_fields = fields

    def get_photos(self, activity: Activity) -> list[int]:
        return [p.pk for p in activity.photos.all()]


class ActivityCreateSerializer(serializers.Serializer[Any]):
    """A new activity: JSON, or multipart with `photos`. `children` are ids of children in
    the caller's regions and the organising area."""

    client_uuid = serializers.UUIDField()
    region = serializers.IntegerField()
    provider = serializers.IntegerField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    topics = serializers.ListField(
        child=serializers.ChoiceField(choices=SafetyTopic.choices), required=False
    )
    title = serializers.CharField(max_length=100)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    volunteers = serializers.CharField(max_length=300, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    children = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=MAX_CHILDREN
    )
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS
    )


class ActivityFilterSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ActivityKind.choices, required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    region = serializers.IntegerField(required=False)


class ActivityYearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class ActivityAreaSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class ActivityVillageSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()


class ActivityDashboardSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    total = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())
    areas = ActivityAreaSerializer(many=True)
    villages_without_safety = ActivityVillageSerializer(many=True)
    children_total = serializers.IntegerField()
    children_without_count = serializers.IntegerField()
