from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.roles import Role
from org.models import DISTRICT_GRANTABLE_ROLES, ApiToken, Assignment, Region, User


class RegionSerializer(serializers.ModelSerializer[Region]):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent", "parent_code"]


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    # Every role can be read; district staff grant only the data roles (validate_role).
    role = serializers.ChoiceField(choices=Role.choices)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "user",
            "region",
            "region_code",
            "region_name",
            "role",
            "start_date",
            "end_date",
            "end_reason",
            "active",
        ]
        read_only_fields = ["end_date", "end_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request else None
        # Only people and regions in the caller's scope can be chosen (or even listed).
        self.fields["user"].queryset = User.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["region"].queryset = Region.objects.visible_to(user)  # type: ignore[attr-defined]

    def validate_role(self, value: str) -> str:
        if value not in DISTRICT_GRANTABLE_ROLES:
            raise serializers.ValidationError(
                _("This role is granted by the security administrator.")
            )
        return value

    def get_active(self, obj: Assignment) -> bool:
        return obj.is_active_on(self.context["today"])


class AssignmentEndSerializer(serializers.Serializer[Any]):
    end_date = serializers.DateField(required=False)
    end_reason = serializers.CharField(max_length=200)


class StaffSerializer(serializers.ModelSerializer[User]):
    managing_district_code = serializers.CharField(
        source="managing_district.code", read_only=True, default=None
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "real_name",
            "phone",
            "position",
            "appointed_on",
            "email",
            "status",
            "managing_district",
            "managing_district_code",
        ]
        read_only_fields = ["managing_district"]
        extra_kwargs = {"real_name": {"required": True}, "phone": {"required": True}}


class StaffCreatedSerializer(StaffSerializer):
    initial_password = serializers.SerializerMethodField()

    class Meta(StaffSerializer.Meta):
        fields = [*StaffSerializer.Meta.fields, "initial_password"]

    def get_initial_password(self, obj: Any) -> str:
        return str(self.context.get("initial_password", ""))


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    device = serializers.CharField(max_length=100, required=False, allow_blank=True)
    # The authenticator's code (or a recovery code) of a person who signs in with two factors.
    otp = serializers.CharField(max_length=32, required=False, allow_blank=True)


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "user", "name", "created", "expiry", "last_used_at"]
        read_only_fields = fields


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True)

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
