"""The API's shapes for merges and the district's lists of likely duplicates."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from duplicates.merging import MERGE_FIELDS, MERGED, SURVIVOR
from duplicates.models import ChildMerge, DuplicateList, DuplicatePair


class MergeRequestSerializer(serializers.Serializer[Any]):
    survivor = serializers.IntegerField(help_text="The archive kept.")
    merged = serializers.IntegerField(help_text="The archive closed as a tombstone.")
    choices = serializers.DictField(
        child=serializers.ChoiceField(choices=[SURVIVOR, MERGED]),
        required=False,
        help_text="For each field, whose value is kept: "
        + ", ".join(MERGE_FIELDS)
        + ". A field left out keeps the survivor's.",
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ChildMergeSerializer(serializers.ModelSerializer[ChildMerge]):
    class Meta:
        model = ChildMerge
        fields = ["id", "survivor", "merged", "by", "at", "choices", "moved", "note"]
        read_only_fields = fields


class DuplicateListRequestSerializer(serializers.Serializer[Any]):
    district = serializers.CharField(max_length=12, help_text="The district's division code.")


class DuplicateListSerializer(serializers.ModelSerializer[DuplicateList]):
    district = serializers.CharField(source="district.code", read_only=True)

    class Meta:
        model = DuplicateList
        fields = [
            "id",
            "district",
            "status",
            "progress",
            "message",
            "children_read",
            "pair_count",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class DuplicatePairSerializer(serializers.ModelSerializer[DuplicatePair]):
    first_name = serializers.CharField(source="first.name", read_only=True)
    second_name = serializers.CharField(source="second.name", read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = DuplicatePair
        fields = ["first", "first_name", "second", "second_name", "reasons", "score"]
        read_only_fields = fields
