"""The serializers of the household API (children/household_api.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from children import idnumber
from children.choices import (
    CarerCapacity,
    GuardianshipQuality,
    GuardianType,
    ParentRelation,
    ParentStatus,
)
from children.fields import PARENT_FIELDS
from children.household import SHARED_FIELDS, household_parents
from children.models_household import (
    CAPACITY_ITEMS,
    GuardianshipAssessment,
    Household,
)
from core import permissions
from core.text import mask_phone


class HouseholdParentSerializer(serializers.Serializer[Any]):
    relation = serializers.ChoiceField(choices=ParentRelation.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=30)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    status = serializers.ChoiceField(choices=ParentStatus.choices)
    work_province = serializers.CharField(required=False, allow_blank=True, max_length=20)
    work_city = serializers.CharField(required=False, allow_blank=True, max_length=30)
    missing_since = serializers.DateField(required=False, allow_null=True)


class HouseholdMemberSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    next_home_visit_due = serializers.DateField(read_only=True)


class HouseholdSerializer(serializers.ModelSerializer[Household]):
    """A household: its shared facts, the latest capacity assessment and its members. ID
    numbers in full only for those who may see them (`show_ids`), masked otherwise; the
    phones by core.permissions.can_view_phone."""

    village = serializers.IntegerField(source="village_id", read_only=True)
    parents = serializers.SerializerMethodField()
    carer_id_number = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id",
            "village",
            *SHARED_FIELDS,
            "carer_id_number",
            "parents",
            "capacity_result",
            "capacity_assessed_on",
            "members",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Household) -> dict[str, Any]:
        """The family's phone numbers as the caller may read them
        (core.permissions.can_view_phone), masked otherwise (138****5678)."""
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not permissions.can_view_phone(user, instance.region_code):
            data["carer_phone"] = mask_phone(data.get("carer_phone") or "")
            for parent in data.get("parents") or []:
                parent["phone"] = mask_phone(parent.get("phone") or "")
        return data

    @extend_schema_field(HouseholdParentSerializer(many=True))
    def get_parents(self, household: Household) -> list[dict[str, Any]]:
        show = bool(self.context.get("show_ids"))
        rows = []
        for relation, values in household_parents(household).items():
            number = values.get("id_number") or ""
            rows.append(
                {
                    "relation": relation,
                    **{k: values.get(k) for k in PARENT_FIELDS if k != "id_number"},
                    "id_number": number if show else (idnumber.mask(number) if number else ""),
                }
            )
        return rows

    def get_carer_id_number(self, household: Household) -> str:
        number = household.carer_id
        if self.context.get("show_ids"):
            return number
        return idnumber.mask(number) if number else ""

    @extend_schema_field(HouseholdMemberSerializer(many=True))
    def get_members(self, household: Household) -> list[dict[str, Any]]:
        members = self.context.get("members", {}).get(household.pk, [])
        return HouseholdMemberSerializer(members, many=True).data  # type: ignore[return-value]


class HouseholdUpdateSerializer(serializers.Serializer[Any]):
    """A change of the shared facts, every field optional; `parents` given is the whole set
    (a parent left out is removed); an ID number left out or masked keeps the one on record."""

    address = serializers.CharField(required=False, max_length=200)
    guardian_type = serializers.CharField(required=False, max_length=20)
    carer_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    carer_relation = serializers.CharField(required=False, allow_blank=True, max_length=20)
    carer_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    carer_id_number = serializers.CharField(required=False, allow_blank=True, max_length=30)
    carer_address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    carer_capacity = serializers.CharField(required=False, allow_blank=True, max_length=12)
    entrustment_signed_on = serializers.DateField(required=False, allow_null=True)
    guardianship_quality = serializers.CharField(required=False, max_length=8)
    parents = HouseholdParentSerializer(many=True, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A bad choice: a 400 on the field.
        self.fields["guardian_type"] = serializers.ChoiceField(
            choices=GuardianType.choices, required=False
        )
        self.fields["carer_capacity"] = serializers.ChoiceField(
            choices=CarerCapacity.choices, required=False, allow_blank=True
        )
        self.fields["guardianship_quality"] = serializers.ChoiceField(
            choices=GuardianshipQuality.choices, required=False
        )

    def validate_parents(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        relations = [item["relation"] for item in value]
        if len(relations) != len(set(relations)):
            raise serializers.ValidationError("Each relation can be given once.")
        return value


class GuardianshipAssessmentSerializer(serializers.ModelSerializer[GuardianshipAssessment]):
    client_token = serializers.UUIDField(required=False)

    class Meta:
        model = GuardianshipAssessment
        fields = [
            "id",
            "client_token",
            "assessed_on",
            *[name for name, _label in CAPACITY_ITEMS],
            "result",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "result", "created_at"]


class JoinSerializer(serializers.Serializer[Any]):
    child = serializers.IntegerField()
