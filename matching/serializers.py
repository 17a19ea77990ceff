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
    outcome = serializers.ChoiceField(choices=[("open", "open"), *Outcome.choices], required=False)


class FindingCloseSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_link = serializers.CharField(required=False, allow_blank=True, max_length=200)
    done_note = serializers.CharField(required=False, allow_blank=True, max_length=300)
