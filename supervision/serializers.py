"""The serializers of the supervision API (supervision/api.py): written assessments and their
figures, archive spot-checks, their items and rectifications."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core import clock
from supervision import figures, services
from supervision.models import (
    CHECKLIST_FIELDS,
    Rating,
    SpotCheck,
    SpotCheckItem,
    SpotCheckRectification,
    WorkerAssessment,
)


class AssessmentSerializer(serializers.ModelSerializer[WorkerAssessment]):
    worker = serializers.IntegerField(source="worker_id")
    worker_name = serializers.CharField(source="worker.real_name", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    rating = serializers.ChoiceField(choices=Rating.choices)
    # Bounded here so that no impossible year reaches a date computation (year 0 or 10000).
    year = serializers.IntegerField(min_value=services.FIRST_YEAR, max_value=2100)

    class Meta:
        model = WorkerAssessment
        fields = [
            "id",
            "worker",
            "worker_name",
            "year",
            "role",
            "region",
            "rating",
            "text",
            "author",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "role", "created_at", "updated_at"]


class AssessmentCorrectionSerializer(serializers.Serializer[Any]):
    rating = serializers.ChoiceField(choices=Rating.choices)
    text = serializers.CharField(max_length=4000)


class PeriodSerializer(serializers.Serializer[Any]):
    area = serializers.IntegerField(required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = clock.today()
        start, end = figures.default_period(today)
        attrs["start"] = attrs.get("start") or start
        attrs["end"] = attrs.get("end") or end
        errors = figures.period_errors(attrs["start"], attrs["end"], today)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class SpotCheckSerializer(serializers.ModelSerializer[SpotCheck]):
    district = serializers.IntegerField(source="district_id")
    drawn_by = serializers.CharField(source="drawn_by.username", read_only=True)
    seed = serializers.IntegerField(required=False, allow_null=True)
    percentage = serializers.IntegerField()
    year = serializers.IntegerField(min_value=services.FIRST_YEAR, max_value=2100)

    class Meta:
        model = SpotCheck
        fields = [
            "id",
            "district",
            "year",
            "percentage",
            "seed",
            "population",
            "sample_size",
            "drawn_by",
            "drawn_at",
        ]
        read_only_fields = ["id", "population", "sample_size", "drawn_by", "drawn_at"]


class RectificationSerializer(serializers.ModelSerializer[SpotCheckRectification]):
    done_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = SpotCheckRectification
        fields = ["id", "text", "due_on", "done_on"]
        read_only_fields = ["id", "done_on"]


class ItemSerializer(serializers.ModelSerializer[SpotCheckItem]):
    child_name = serializers.CharField(source="child.name", read_only=True)
    rectifications = RectificationSerializer(many=True, read_only=True)
    checked_by = serializers.CharField(source="checked_by.username", read_only=True, default="")

    class Meta:
        model = SpotCheckItem
        fields = [
            "id",
            "spot_check",
            "child",
            "child_name",
            "region_code",
            *CHECKLIST_FIELDS,
            "findings",
            "suggested",
            "checked_by",
            "checked_on",
            "rectifications",
        ]
        read_only_fields = fields


class CheckSerializer(serializers.Serializer[Any]):
    identity_ok = serializers.BooleanField()
    guardianship_ok = serializers.BooleanField()
    visits_ok = serializers.BooleanField()
    assistance_ok = serializers.BooleanField()
    problems_ok = serializers.BooleanField()
    findings = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    rectifications = RectificationSerializer(many=True, required=False)


class DoneSerializer(serializers.Serializer[Any]):
    done_on = serializers.DateField(required=False)
