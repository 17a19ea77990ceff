from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import WorkItemSerializer
from org.models import Region
from providers.models import (
    ProviderKind,
    ReferralOutcome,
    ReferralStatus,
    ServiceKind,
    ServiceProvider,
    ServiceReferral,
)
from providers.selectors import referred_child


class ServiceProviderSerializer(serializers.ModelSerializer[ServiceProvider]):
    district = serializers.CharField(source="district.code", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    services = serializers.ListField(child=serializers.ChoiceField(choices=ServiceKind.choices))
    areas = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Region.objects.all(), required=False
    )
    staff = serializers.SerializerMethodField()

    class Meta:
        model = ServiceProvider
        fields = [
            "id",
            "district",
            "district_name",
            "name",
            "kind",
            "services",
            "areas",
            "contact_name",
            "contact_phone",
            "address",
            "active",
            "staff",
        ]
        read_only_fields = ["id", "district", "district_name", "staff"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_staff(self, provider: ServiceProvider) -> list[str]:
        return [link.user.username for link in provider.staff_links.all()]


class ServiceProviderWriteSerializer(ServiceProviderSerializer):
    district_code = serializers.CharField(
        write_only=True, required=False, help_text="when the caller manages several districts"
    )
    kind = serializers.ChoiceField(choices=ProviderKind.choices)

    class Meta(ServiceProviderSerializer.Meta):
        fields = [*ServiceProviderSerializer.Meta.fields, "district_code"]


class ProviderFilterSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ProviderKind.choices, required=False)
    service = serializers.ChoiceField(choices=ServiceKind.choices, required=False)
    q = serializers.CharField(required=False, max_length=100)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReferredChildSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    gender = serializers.CharField()
    age = serializers.IntegerField()
    village = serializers.CharField()
    address = serializers.CharField()
    school = serializers.CharField()
    carer = serializers.CharField()
    carer_phone = serializers.CharField()


class ServiceReferralSerializer(WorkItemSerializer[ServiceReferral]):
    """A referral with what a provider's staff may read of the child (`child_fields`); the
    archive's id (`child`) is for the referrer's side, who may open the archive."""

    child = serializers.IntegerField(source="child_id")
    provider = serializers.PrimaryKeyRelatedField(queryset=ServiceProvider.objects.all())
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    child_fields = serializers.SerializerMethodField()
    referred_by = serializers.CharField(source="referred_by.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )
    client_uuid = serializers.UUIDField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ServiceReferral
        fields = [
            "id",
            "client_uuid",
            "child",
            "child_fields",
            "provider",
            "provider_name",
            "service",
            "reason",
            "consent",
            "consent_on",
            "referred_on",
            "respond_by",
            "due_on",
            "status",
            "overdue",
            "referred_by",
            "decided_at",
            "decided_by",
            "decided_for_provider",
            "decision_note",
            "outcome",
            "outcome_for_provider",
            "done",
            "done_on",
            "done_note",
            "done_by",
            "closed_at",
        ]
        read_only_fields = [
            "id",
            "referred_on",
            "status",
            "decided_at",
            "decided_for_provider",
            "decision_note",
            "outcome",
            "outcome_for_provider",
            "done",
            "done_note",
            "closed_at",
        ]
        extra_kwargs = {
            "respond_by": {"required": False},
            "due_on": {"required": False},
            "consent_on": {"required": False},
        }

    @extend_schema_field(ReferredChildSerializer)
    def get_child_fields(self, referral: ServiceReferral) -> dict[str, Any]:
        viewer = self.context["request"].user
        return dict(ReferredChildSerializer(referred_child(referral, viewer)).data)

    def get_overdue(self, referral: ServiceReferral) -> bool:
        return referral.overdue_today


class ReferralFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[("open", "open"), ("closed", "closed"), ("overdue", "overdue"),
                 *ReferralStatus.choices],
        required=False,
    )  # fmt: skip
    provider = serializers.IntegerField(required=False)
    child = serializers.IntegerField(required=False)


class ReferralDecisionSerializer(serializers.Serializer[Any]):
    accept = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class OutcomeSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=ReferralOutcome.choices)
    done_on = serializers.DateField(required=False)
    done_note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class WithdrawSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=300)
