"""Serializers of the reports API: reports, their steps, linking and sharing. Querysets of
related rows are limited to the caller's scope."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from children.models import Child
from core import clock
from org.models import Region, User
from reports import sharing
from reports.models import (
    PERSON_STEP_KINDS,
    MandatoryReport,
    ReportStep,
    Situation,
    Stage,
    StepKind,
)
from visits.models import Visit


class StepSerializer(serializers.ModelSerializer[ReportStep]):
    # None where the caller may not see who reported (the first step of a shared case).
    by = serializers.CharField(source="by.username", read_only=True, allow_null=True)
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=ReportStep.objects.none(), required=False, allow_null=True
    )
    stage = serializers.ChoiceField(
        choices=[s for s in Stage.choices if s[0] != Stage.REPORTED], required=False
    )
    kind = serializers.ChoiceField(choices=PERSON_STEP_KINDS)
    what = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = ReportStep
        fields = [
            "id",
            "stage",
            "kind",
            "what",
            "by",
            "done_at",
            "child_location",
            "next_step",
            "next_due_at",
            "corrects",
            "created_at",
        ]
        read_only_fields = ["id", "by", "created_at"]
        extra_kwargs = {"done_at": {"required": False}}


class StepReadSerializer(StepSerializer):
    """A step as the timeline returns it: any stage and kind, the report's own first step
    (stage "reported", kind "report") included, which no one adds through the API."""

    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    kind = serializers.ChoiceField(choices=StepKind.choices)


class ReportSerializer(serializers.ModelSerializer[MandatoryReport]):
    client_uuid = serializers.UUIDField()
    child = serializers.PrimaryKeyRelatedField(
        queryset=Child.objects.none(), required=False, allow_null=True
    )
    village = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.none(), required=False, allow_null=True
    )
    situations = serializers.ListField(
        child=serializers.ChoiceField(choices=Situation.choices), allow_empty=True
    )
    found_at = serializers.DateTimeField(required=False, allow_null=True)
    visit = serializers.PrimaryKeyRelatedField(
        queryset=Visit.objects.none(),
        required=False,
        allow_null=True,
        help_text="The visit that found the child in danger (one the caller may see).",
    )
    reporter = serializers.CharField(source="reporter.username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = MandatoryReport
        fields = [
            "id",
            "client_uuid",
            "child",
            "child_description",
            "location",
            "visit",
            "village",
            "region_code",
            "situations",
            "found_at",
            "how_found",
            "what_seen",
            "immediate_danger",
            "police_station",
            "police_reported_at",
            "police_officer",
            "police_receipt",
            "civil_affairs_informed",
            "education_informed",
            "reporter",
            "stage",
            "stage_since",
            "acknowledged_at",
            "next_step",
            "next_due_at",
            "overdue",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "region_code",
            "reporter",
            "stage",
            "stage_since",
            "acknowledged_at",
            "next_step",
            "next_due_at",
            "created_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["child"].queryset = Child.objects.visible_to(request.user)  # type: ignore[attr-defined]
            self.fields["village"].queryset = Region.objects.visible_to(request.user)  # type: ignore[attr-defined]
            self.fields["visit"].queryset = Visit.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def to_representation(self, instance: MandatoryReport) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not sharing.may_see_reporter(request.user, instance):
            data["reporter"] = None  # shown to district staff and the protection centre only
        return data

    def get_overdue(self, obj: MandatoryReport) -> bool:
        return obj.next_due_at is not None and obj.next_due_at < clock.now()


class LinkSerializer(serializers.Serializer[Any]):
    child = serializers.PrimaryKeyRelatedField(queryset=Child.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["child"].queryset = Child.objects.visible_to(request.user)  # type: ignore[attr-defined]


class ShareSerializer(serializers.Serializer[Any]):
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.none())
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            people if people is not None else sharing.share_candidates()
        )
