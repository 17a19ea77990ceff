from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api import WorkItemSerializer
from matching.models import Finding, Outcome, RuleCode
from matching.rules import describe
from matching.sources import SourceKind


class FindingSerializer(WorkItemSerializer[Finding]):
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    child = serializers.IntegerField(source="child_id", read_only=True, allow_null=True)
    name = serializers.CharField(source="row.name", read_only=True)
    id_masked = serializers.CharField(source="row.id_masked", read_only=True)
    description = serializers.SerializerMethodField()
    reported_on = serializers.DateField(
        source="row.reported_on",
        read_only=True,
        allow_null=True,
        help_text="The day the department registered it (a parent missing: R19's clock).",
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "source",
            "rule",
            "child",
            "name",
            "id_masked",
            "village",
            "village_name",
            "suggested_category",
            "description",
            "reported_on",
            "created_on",
            "due_on",
            "done",
            "done_on",
            "done_note",
            "done_by",
            "outcome",
            "outcome_link",
        ]
        read_only_fields = fields

    def get_description(self, finding: Finding) -> str:
        return describe(finding)


class FindingFilterSerializer(serializers.Serializer[Any]):
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field named "source"
        choices=SourceKind.choices, required=False
    )
    rule = serializers.ChoiceField(choices=RuleCode.choices, required=False)
    village = serializers.IntegerField(required=False)
    outcome = serializers.ChoiceField(
        choices=[("open", "open"), ("overdue", "overdue"), *Outcome.choices], required=False
    )


class FindingCloseSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_link = serializers.CharField(required=False, allow_blank=True, max_length=200)
    done_note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class FindingSummarySerializer(serializers.Serializer[Any]):
    key = serializers.CharField(
        allow_null=True, help_text="The source, rule, village id or outcome ('' for open)."
    )
    name = serializers.CharField(allow_blank=True, help_text="The village's name (by=village).")
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Open past their due date.")
    closed = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True, help_text="Median days to close.")
    days_to_close = serializers.FloatField(allow_null=True, help_text="Mean days to close.")


class FindingSummaryFilterSerializer(FindingFilterSerializer):
    by = serializers.ChoiceField(
        choices=["source", "rule", "village", "outcome"], required=False, default="source"
    )
