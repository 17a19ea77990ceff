"""The serializers of the visits API (visits/api.py): visits, follow-ups, inspections and
their rectifications, and the list filters."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from children.models import Child
from core import clock, workitems
from core.api import WORK_ITEM_DONE_FIELDS, WorkItemSerializer
from org.models import Region
from visits import inspections, services
from visits.models import FINDING_AREAS, FollowUp, Inspection, Rectification, Visit, VisitKind


class FollowUpSerializer(WorkItemSerializer[FollowUp]):
    class Meta:
        model = FollowUp
        fields = ["id", "text", "due_on", "urgent", *WORK_ITEM_DONE_FIELDS]
        read_only_fields = ["id", *WORK_ITEM_DONE_FIELDS]


class VisitSerializer(serializers.ModelSerializer[Visit]):
    client_uuid = serializers.UUIDField()
    child = serializers.PrimaryKeyRelatedField(queryset=Child.objects.none())
    follow_ups = FollowUpSerializer(many=True, required=False)
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "client_uuid",
            "child",
            "author",
            "kind",
            "visit_date",
            "seen",
            *[name for area, _label in FINDING_AREAS for name in (area, f"{area}_note")],
            "problems",
            "actions",
            "danger_found",
            "follow_ups",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "author", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Any visible child: a closed or out-of-scope one gets the service's message / 404.
            self.fields["child"].queryset = Child.objects.visible_to(request.user)  # type: ignore[attr-defined]


class VisitCorrectionSerializer(serializers.ModelSerializer[Visit]):
    """The fields a correction may change, all optional, and the reason (required after the
    author's 7-day window)."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)

    class Meta:
        model = Visit
        fields = [*services.VISIT_FIELDS, "reason"]
        extra_kwargs = {name: {"required": False} for name in services.VISIT_FIELDS}


class WorkItemDoneSerializer(serializers.Serializer[Any]):
    """Marking an item done: the date (default today, not in the future, not before the item
    was set) and an optional note of what was done."""

    done_on = serializers.DateField(required=False)
    done_note = serializers.CharField(
        required=False, allow_blank=True, max_length=workitems.DONE_NOTE_LENGTH
    )


class VisitFilterSerializer(serializers.Serializer[Any]):
    child = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(choices=VisitKind.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class InspectionRectificationSerializer(WorkItemSerializer[Rectification]):
    class Meta:
        model = Rectification
        fields = ["id", "text", "due_on", *WORK_ITEM_DONE_FIELDS]
        read_only_fields = ["id", *WORK_ITEM_DONE_FIELDS]


class InspectionSerializer(serializers.ModelSerializer[Inspection]):
    client_uuid = serializers.UUIDField()
    village = serializers.PrimaryKeyRelatedField(queryset=Region.objects.none())
    rectifications = InspectionRectificationSerializer(many=True, required=False)
    supervisor = serializers.CharField(source="supervisor.username", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "client_uuid",
            "village",
            "supervisor",
            "inspected_on",
            "quarter",
            *inspections.CHECKLIST,
            "findings",
            "rectifications",
            "created_at",
        ]
        read_only_fields = ["id", "supervisor", "quarter", "created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["village"].queryset = Region.objects.visible_to(request.user)  # type: ignore[attr-defined]


class InspectionRectificationItemSerializer(InspectionRectificationSerializer):
    """A rectification item with its inspection and village, as the list shows it."""

    inspection = serializers.IntegerField(source="inspection_id", read_only=True)
    village = serializers.IntegerField(source="inspection.village_id", read_only=True)
    village_code = serializers.CharField(source="inspection.region_code", read_only=True)
    village_name = serializers.CharField(source="inspection.village.name", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta(InspectionRectificationSerializer.Meta):
        fields = [
            "id",
            "inspection",
            "village",
            "village_code",
            "village_name",
            *InspectionRectificationSerializer.Meta.fields[1:],
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, item: Rectification) -> bool:
        return not item.done and item.due_on < self.context.get("today", clock.today())


def _division_code(value: str) -> None:
    if not (len(value) == 12 and value.isdigit()):
        raise serializers.ValidationError(_("Give a 12-digit division code."))


class RectificationFilterSerializer(serializers.Serializer[Any]):
    village = serializers.CharField(required=False, validators=[_division_code])
    town = serializers.CharField(required=False, validators=[_division_code])
    open = serializers.BooleanField(required=False, allow_null=True, default=None)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    due_before = serializers.DateField(required=False)
