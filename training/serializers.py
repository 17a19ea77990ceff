"""Serializers of the training API. Validation of rules stays in training.services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from training.models import Attendance, Course, Material, Result, Session, Topic, TrainingStatus


class MaterialSerializer(serializers.ModelSerializer[Material]):
    class Meta:
        model = Material
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]


class CourseSerializer(serializers.ModelSerializer[Course]):
    topics = serializers.ListField(child=serializers.ChoiceField(choices=Topic.choices))
    materials = MaterialSerializer(many=True, read_only=True)
    district = serializers.CharField(source="district.code", read_only=True)

    class Meta:
        model = Course
        fields = ["id", "title", "topics", "description", "district", "materials", "created_at"]
        read_only_fields = ["created_at"]


class SessionSerializer(serializers.ModelSerializer[Session]):
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.all())
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Session._meta.get_field("region").related_model.objects.all(),  # type: ignore[union-attr]
    )
    invitees = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Session._meta.get_field("invitees").related_model.objects.all(),  # type: ignore[union-attr]
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "course",
            "organiser_level",
            "region",
            "date",
            "place",
            "trainer",
            "invitees",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class AttendanceSerializer(serializers.ModelSerializer[Attendance]):
    session = serializers.PrimaryKeyRelatedField(queryset=Session.objects.all())
    user = serializers.PrimaryKeyRelatedField(
        queryset=Attendance._meta.get_field("user").related_model.objects.all()  # type: ignore[union-attr]
    )

    class Meta:
        model = Attendance
        fields = ["id", "session", "user", "attended", "recorded_at"]
        read_only_fields = ["recorded_at"]


class ResultSerializer(serializers.ModelSerializer[Result]):
    session = serializers.PrimaryKeyRelatedField(queryset=Session.objects.all())
    user = serializers.PrimaryKeyRelatedField(
        queryset=Result._meta.get_field("user").related_model.objects.all()  # type: ignore[union-attr]
    )
    # Range checked here for a field error, and again by the service.
    score = serializers.IntegerField(min_value=0, max_value=100)
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    assessed_on = serializers.DateField(required=False, allow_null=True, default=None)

    class Meta:
        model = Result
        fields = [
            "id",
            "session",
            "user",
            "score",
            "passed",
            "assessor",
            "assessed_on",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class TrainingStatusSerializer(serializers.ModelSerializer[TrainingStatus]):
    class Meta:
        model = TrainingStatus
        fields = ["certified_on", "last_passed_on", "renewal_due_on", "rotation"]


class FileRowSerializer(serializers.Serializer[Any]):
    session = serializers.IntegerField(source="session.pk")
    date = serializers.DateField(source="session.date")
    course = serializers.CharField(source="session.course.title")
    region = serializers.CharField(source="session.region.code")
    attended = serializers.SerializerMethodField()
    # A session not assessed yet has no result: these are null.
    score = serializers.IntegerField(source="result.score", default=None, allow_null=True)
    passed = serializers.BooleanField(source="result.passed", default=None, allow_null=True)
    assessor = serializers.CharField(source="result.assessor", default=None, allow_null=True)
    assessed_on = serializers.DateField(source="result.assessed_on", default=None, allow_null=True)

    def get_attended(self, row: dict[str, Any]) -> bool | None:
        attendance = row.get("attendance")
        return None if attendance is None else attendance.attended


class TrainingFileSerializer(serializers.Serializer[Any]):
    """A worker's training file (`GET /api/v1/training/files/<id>/`), as its schema says."""

    user = serializers.IntegerField()
    real_name = serializers.CharField()
    certified = serializers.BooleanField()
    status = TrainingStatusSerializer(allow_null=True)
    work_refusal = serializers.CharField(allow_null=True)
    sessions = FileRowSerializer(many=True)
