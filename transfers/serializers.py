from __future__ import annotations

from typing import Any

from rest_framework import serializers

from transfers.models import Transfer


class VillageSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class TransferChildSerializer(serializers.Serializer[Any]):
    """The fields of the child a transfer needs: what the receiving side reads before it
    accepts (the archive itself only after)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    gender = serializers.CharField(read_only=True)
    birth_date = serializers.DateField(read_only=True)


class TransferSerializer(serializers.ModelSerializer[Transfer]):
    child = TransferChildSerializer(read_only=True)
    from_village = VillageSerializer(read_only=True)
    to_village = VillageSerializer(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Transfer
        fields = [
            "id",
            "kind",
            "status",
            "child",
            "from_village",
            "to_village",
            "reason",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decline_reason",
            "finding",
            "moved",
        ]
        read_only_fields = fields


class TransferRequestSerializer(serializers.Serializer[Any]):
    child = serializers.IntegerField()
    to_village = serializers.RegexField(r"^\d{12}$", help_text="The 12-digit division code.")
    reason = serializers.CharField(max_length=300)
    finding = serializers.IntegerField(required=False, allow_null=True)
    client_id = serializers.UUIDField(required=False, allow_null=True)


class TransferClaimSerializer(serializers.Serializer[Any]):
    id_number = serializers.CharField(max_length=18)
    to_village = serializers.RegexField(r"^\d{12}$", help_text="The 12-digit division code.")
    reason = serializers.CharField(max_length=300)
    client_id = serializers.UUIDField(required=False, allow_null=True)


class TransferDeclineSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class TransferFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["requested", "accepted", "declined"], required=False)
    direction = serializers.ChoiceField(choices=["to_decide"], required=False)
