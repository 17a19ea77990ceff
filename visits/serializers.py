"""The serializers of the visits API (visits/api.py): visits, follow-ups, inspections and
their rectifications, and the list filters."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from children.choices import Category
from children.models import Child
from core import clock, permissions, workitems
from core.api import WORK_ITEM_DONE_FIELDS, WorkItemSerializer
from core.text import mask_phone
from org.models import Region
from visits import inspections, services
from visits.models import FINDING_AREAS, FollowUp, Inspection, Rectification, Visit, VisitKind
from visits.offline import PRIORITIES


class FollowUpSerializer(WorkItemSerializer[FollowUp]):
    class Meta:
        model = FollowUp
        fields = ["id", "text", "due_on", "urgent", *WORK_ITEM_DONE_FIELDS]
        read_only_fields = ["id", *WORK_ITEM_DONE_FIELDS]


class VisibleChildField(serializers.PrimaryKeyRelatedField[Child]):
    """A child the caller may see (the request is the root serializer's, read when the value
    is checked: a nested serializer has no context when it is built)."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return Child.objects.visible_to(request.user) if request else Child.objects.none()


class SiblingSerializer(serializers.Serializer[Any]):
    """A sibling a household visit is also for: the child (of the same household), the areas
    of concern about this child only, a note about this child only."""

    child = VisibleChildField(queryset=Child.objects.none())
    concerns = serializers.ListField(
        child=serializers.ChoiceField(choices=[area for area, _label in FINDING_AREAS]),
        required=False,
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class HouseholdVisitSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    child = serializers.IntegerField(source="child_id", read_only=True)


class VisitSerializer(serializers.ModelSerializer[Visit]):
    client_uuid = serializers.UUIDField()
    child = serializers.PrimaryKeyRelatedField(queryset=Child.objects.none())
    follow_ups = FollowUpSerializer(many=True, required=False)
    author = serializers.CharField(source="author.username", read_only=True)
    # A household visit: the siblings it is also for (one visit stored per child).
    siblings = SiblingSerializer(many=True, required=False, write_only=True)
    household_visits = serializers.SerializerMethodField()

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
            "child_note",
            "household_uuid",
            "siblings",
            "household_visits",
            "follow_ups",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "author", "household_uuid", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Any visible child: a closed or out-of-scope one gets the service's message / 404.
            self.fields["child"].queryset = Child.objects.visible_to(request.user)  # type: ignore[attr-defined]

    @extend_schema_field(HouseholdVisitSerializer(many=True))
    def get_household_visits(self, visit: Visit) -> list[dict[str, int]]:
        """The other visits of the same household visit (their ids and children)."""
        request = self.context.get("request")
        if request is None or visit.household_uuid is None:
            return []
        if "household_map" in self.context:  # a list: one query for the page
            rows = self.context["household_map"].get(visit.household_uuid, [])
            return [{"id": pk, "child": child} for pk, child in rows if pk != visit.pk]
        return [
            {"id": v.pk, "child": v.child_id}
            for v in services.household_visits(request.user, visit)
        ]


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


# --- The offline copy of a director's phone (visits.offline) -------------------------------


class OfflineVillageSerializer(serializers.Serializer[Region]):
    code = serializers.CharField()
    name = serializers.CharField()


class OfflineFollowUpSerializer(serializers.Serializer[FollowUp]):
    id = serializers.IntegerField()
    text = serializers.CharField()
    due_on = serializers.DateField()
    urgent = serializers.BooleanField()
    visit_id = serializers.IntegerField()


class OfflineRectificationSerializer(serializers.Serializer[Rectification]):
    id = serializers.IntegerField()
    text = serializers.CharField()
    due_on = serializers.DateField()
    village_code = serializers.CharField(source="inspection.region_code")


class OfflineTaskSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(help_text="finding: a finding of a department list.")
    id = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    child_id = serializers.IntegerField(
        allow_null=True, help_text="The archive, if registered (null: a child to register)."
    )
    name = serializers.CharField(help_text="The child's name (as listed when not registered).")
    village_code = serializers.CharField()
    due_on = serializers.DateField()


class OfflineChildSerializer(serializers.Serializer[Child]):
    """The fields of a child a phone keeps (issue 14): nothing else, the ID number masked, the
    carer's phone as the director may read it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    gender = serializers.CharField()
    gender_label = serializers.CharField(source="get_gender_display")
    birth_date = serializers.DateField()
    age = serializers.SerializerMethodField()
    village = OfflineVillageSerializer()
    categories = serializers.SerializerMethodField()
    is_key = serializers.BooleanField()
    guardian_type = serializers.CharField()
    guardian_label = serializers.CharField(source="get_guardian_type_display")
    carer_name = serializers.CharField()
    carer_relation = serializers.CharField()
    carer_phone = serializers.CharField()
    school_name = serializers.CharField()
    id_masked = serializers.CharField()
    next_contact_due = serializers.DateField(allow_null=True)
    next_home_visit_due = serializers.DateField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    priority = serializers.ChoiceField(
        choices=list(PRIORITIES),
        help_text="The child's place in the work list, most pressing first: an open urgent "
        "follow-up of a visit that found the child in danger, another urgent follow-up, "
        "overdue, due within 7 days, later. The list comes in this order.",
    )
    follow_ups = serializers.SerializerMethodField()

    def get_age(self, child: Child) -> int:
        today: Any = self.context["today"]
        return child.age_on(today)

    def get_categories(self, child: Child) -> list[str]:
        labels = dict(Category.choices)
        order = {code: i for i, code in enumerate(Category.values)}
        codes = sorted(child.category_codes(), key=lambda c: order.get(c, len(order)))
        return [str(labels.get(code, code)) for code in codes]

    def to_representation(self, instance: Child) -> dict[str, Any]:
        """The carer's phone in full for whom core.permissions.can_view_phone allows (the
        director of the child's village: she phones the carer), masked otherwise."""
        data: dict[str, Any] = super().to_representation(instance)
        user = self.context.get("user")
        if user is None or not permissions.can_view_phone(user, instance.region_code):
            data["carer_phone"] = mask_phone(data.get("carer_phone") or "")
        return data

    @extend_schema_field(OfflineFollowUpSerializer(many=True))
    def get_follow_ups(self, child: Child) -> Any:
        items = self.context["follow_ups"].get(child.pk, [])
        return OfflineFollowUpSerializer(items, many=True).data


class OfflineUserSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    village_names = serializers.ListField(child=serializers.CharField())


class OfflineCopySerializer(serializers.Serializer[Any]):
    """GET /api/v1/offline/: what a director's phone keeps for work without a network."""

    generated_at = serializers.DateTimeField()
    today = serializers.DateField()
    max_age_days = serializers.IntegerField(
        help_text="Hide the copy this many days after the last successful contact."
    )
    user = OfflineUserSerializer()
    children = OfflineChildSerializer(many=True)
    rectifications = OfflineRectificationSerializer(
        many=True, help_text="Open rectification items of the director's villages."
    )
    tasks = OfflineTaskSerializer(
        many=True,
        help_text="Her other open tasks, the earliest due first: the findings of department "
        "lists for her villages.",
    )
