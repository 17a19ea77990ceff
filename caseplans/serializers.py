from __future__ import annotations

from typing import Any

from rest_framework import serializers

from caseplans.models import (
    CasePlan,
    Domain,
    Goal,
    NeedLevel,
    PlanAction,
    PlanDecision,
    PlanReview,
    Progress,
    ReviewOutcome,
)
from core.api import WorkItemSerializer


class NeedSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=NeedLevel.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class GoalSerializer(serializers.ModelSerializer[Goal]):
    class Meta:
        model = Goal
        fields = ["id", "number", "domain", "text"]
        read_only_fields = fields


class ActionSerializer(WorkItemSerializer[PlanAction]):
    child = serializers.IntegerField(source="plan.child_id", read_only=True)
    goal = serializers.IntegerField(source="goal.number", read_only=True, default=None)
    provider_name = serializers.CharField(source="provider.name", read_only=True, default=None)

    class Meta:
        model = PlanAction
        fields = [
            "id",
            "plan",
            "child",
            "goal",
            "what",
            "provider",
            "provider_name",
            "person",
            "created_on",
            "due_on",
            "done",
            "done_on",
            "done_note",
            "done_by",
        ]
        read_only_fields = fields


class PlanDecisionSerializer(serializers.ModelSerializer[PlanDecision]):
    by = serializers.CharField(source="by.username", read_only=True)

    class Meta:
        model = PlanDecision
        fields = ["kind", "by", "at", "comment"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer[PlanReview]):
    by = serializers.CharField(source="by.username", read_only=True)

    class Meta:
        model = PlanReview
        fields = ["id", "reviewed_on", "by", "progress", "outcome", "note"]
        read_only_fields = fields


class CasePlanSerializer(serializers.ModelSerializer[CasePlan]):
    child_name = serializers.CharField(source="child.name", read_only=True)
    needs = serializers.DictField(child=NeedSerializer(), read_only=True)
    goals = GoalSerializer(many=True, read_only=True)
    actions = ActionSerializer(many=True, read_only=True)
    decisions = PlanDecisionSerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)

    class Meta:
        model = CasePlan
        fields = [
            "id",
            "client_uuid",
            "child",
            "child_name",
            "report",
            "status",
            "needs",
            "summary",
            "review_on",
            "approved_on",
            "closed_on",
            "goals",
            "actions",
            "decisions",
            "reviews",
        ]
        read_only_fields = fields


class CasePlanListSerializer(serializers.ModelSerializer[CasePlan]):
    child_name = serializers.CharField(source="child.name", read_only=True)

    class Meta:
        model = CasePlan
        fields = ["id", "child", "child_name", "report", "status", "review_on", "approved_on"]
        read_only_fields = fields


class GoalInputSerializer(serializers.Serializer[Any]):
    domain = serializers.ChoiceField(choices=Domain.choices)
    text = serializers.CharField(max_length=300)


class ActionInputSerializer(serializers.Serializer[Any]):
    what = serializers.CharField(max_length=300)
    due_on = serializers.DateField()
    goal = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    provider = serializers.IntegerField(required=False, allow_null=True)
    person = serializers.IntegerField(required=False, allow_null=True)


class CasePlanWriteSerializer(serializers.Serializer[Any]):
    client_uuid = serializers.UUIDField(required=False)
    child = serializers.IntegerField(required=False)
    needs = serializers.DictField(child=NeedSerializer())
    goals = GoalInputSerializer(many=True)
    actions = ActionInputSerializer(many=True)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=500)
    review_on = serializers.DateField(required=False, allow_null=True)


class SubmitSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class DecideSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("return", "return")])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ProgressInputSerializer(serializers.Serializer[Any]):
    goal = serializers.IntegerField()
    progress = serializers.ChoiceField(choices=Progress.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ReviewInputSerializer(serializers.Serializer[Any]):
    client_uuid = serializers.UUIDField(required=False)
    progress = ProgressInputSerializer(many=True)
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    review_on = serializers.DateField(required=False, allow_null=True)


class ActionDoneSerializer(serializers.Serializer[Any]):
    done_note = serializers.CharField(required=False, allow_blank=True, max_length=300)
