"""API representations of the child archive.

Identity numbers are shown in full only to users with `children.view_identifier`
(`context["show_ids"]`), masked otherwise; the family's phone numbers by
`core.permissions.can_view_phone` (a masked number sent back keeps the one on record).
Writes are validated here for shape (types, choices, lengths) and then go through
`children.registration`, which holds every rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from children import idnumber
from children.choices import Category, CloseReason, ParentRelation, ParentStatus, Status
from children.fields import (
    GUARDIANSHIP,
    HEALTH,
    IDENTITY,
    OVER_AGE_REASON,
    PARENT_FIELDS,
    SCHOOLING,
    inserted,
)
from children.models import Assistance, Child, Parent, Problem, Referral, WorkNote
from children.models_risk import RiskChange, RiskLevel, RiskSource
from children.risk import LEVEL_KEY_CHOICES, LEVEL_KEYS, change_reasons, reason_label
from core import permissions
from core.text import mask_phone
from org.models import Region

# The order categories are listed in (the order of R10), whatever order the database returns.
_CATEGORY_ORDER = {code: i for i, code in enumerate(Category.values)}


def is_masked(value: str) -> bool:
    """A masked number (an ID number, a phone) echoed back by a client that never saw the
    full one."""
    return "*" in value


class IdentifierField(serializers.CharField):
    """An identity number: written in full, read in full only when `context["show_ids"]`,
    masked otherwise (decrypting only when needed)."""

    def __init__(
        self,
        *,
        full: Callable[[Any], str],
        masked: Callable[[Any], str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self._full = full
        self._masked = masked

    def get_attribute(self, instance: Any) -> Any:
        return instance

    def to_representation(self, value: Any) -> str:
        if self.context.get("show_ids"):
            return self._full(value)
        if self._masked is not None:
            return self._masked(value)
        return idnumber.mask(self._full(value))


@extend_schema_field(OpenApiTypes.STR)
class VillageField(serializers.Field[Region, Any, str, Any]):
    """A village by its 12-digit division code, among the villages where the caller keeps
    archives (`context["villages"]`, a queryset)."""

    def get_attribute(self, instance: Any) -> Any:
        return instance.village

    def to_representation(self, value: Region) -> str:
        return value.code

    def to_internal_value(self, data: Any) -> Region:
        code = str(data).strip()
        if len(code) != 12 or not code.isdigit():
            raise serializers.ValidationError(
                _("Give the 12-digit code of a village or community."), code="invalid"
            )
        villages = self.context.get("villages")
        village: Region | None = (
            villages.filter(code=code).first() if villages is not None else None
        )
        if village is None:
            raise serializers.ValidationError(
                _("This village is outside the regions where you keep archives."),
                code="out_of_scope",
            )
        return village


class CategoriesField(serializers.ListField):
    child = serializers.ChoiceField(choices=Category.choices)

    def get_attribute(self, instance: Any) -> Any:
        return instance

    def to_representation(self, data: Any) -> list[str]:
        codes = data.category_codes()  # from the prefetch cache on lists
        return sorted(codes, key=lambda c: _CATEGORY_ORDER.get(c, len(_CATEGORY_ORDER)))

    def to_internal_value(self, data: Any) -> list[str]:
        codes = super().to_internal_value(data)
        return list(dict.fromkeys(codes))


class ParentSerializer(serializers.ModelSerializer[Parent]):
    relation = serializers.ChoiceField(choices=ParentRelation.choices)
    status = serializers.ChoiceField(choices=ParentStatus.choices)
    id_number = IdentifierField(full=lambda p: p.id_number, masked=lambda p: p.id_masked)

    class Meta:
        model = Parent
        fields = ["relation", *PARENT_FIELDS]


class RiskReasonSerializer(serializers.Serializer[dict[str, Any]]):
    """One reason of a child's risk level (`Child.risk_reasons`): its code and text, where it
    comes from (the archive, a visit, a report, a finding), the record's id and its date."""

    code = serializers.CharField(read_only=True)
    text = serializers.SerializerMethodField()
    # Where it comes from ("source" would shadow the serializer field's own attribute).
    origin = serializers.ChoiceField(choices=RiskSource.choices, read_only=True, source="source")
    record_id = serializers.IntegerField(read_only=True, allow_null=True)
    date = serializers.DateField(read_only=True)
    note = serializers.CharField(read_only=True)

    def get_text(self, reason: dict[str, Any]) -> str:
        return reason_label(reason["code"])


class RiskRiseSerializer(serializers.ModelSerializer[RiskChange]):
    """A rise of a child's risk level this month (the early-warning list)."""

    child_name = serializers.CharField(source="child.name")
    village_name = serializers.CharField(source="child.village.name")
    from_level = serializers.SerializerMethodField()
    to_level = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = RiskChange
        fields = ["id", "child", "child_name", "village_name", "region_code", "from_level",
                  "to_level", "score", "cause", "reasons", "changed_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=LEVEL_KEY_CHOICES))
    def get_from_level(self, change: RiskChange) -> str:
        return LEVEL_KEYS[RiskLevel(change.from_level)]

    @extend_schema_field(serializers.ChoiceField(choices=LEVEL_KEY_CHOICES))
    def get_to_level(self, change: RiskChange) -> str:
        return LEVEL_KEYS[RiskLevel(change.to_level)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons(self, change: RiskChange) -> list[str]:
        return change_reasons(change)


class ChildSerializer(serializers.ModelSerializer[Child]):
    url = serializers.HyperlinkedIdentityField(view_name="child-detail")
    id_number = IdentifierField(full=lambda c: c.id_number, masked=lambda c: c.id_masked)
    carer_id_number = IdentifierField(full=lambda c: c.carer_id)
    village = VillageField()
    village_name = serializers.CharField(source="village.name", read_only=True)
    # At least one category, as on the page (R10); a partial update may leave them as they are.
    categories = CategoriesField(
        allow_empty=False, error_messages={"empty": gettext_lazy("Choose at least one category.")}
    )
    parents = ParentSerializer(many=True, required=False)
    client_token = serializers.UUIDField(required=False, allow_null=True)
    # Registration only: the likely duplicates (answered 409 before) that are not this child.
    not_duplicate_of = serializers.ListField(
        child=serializers.IntegerField(), write_only=True, required=False, max_length=50
    )

    # The archive's version (children.merge): sent back as `base_version` with an edit made
    # from it; null only for a child without history (loaded around the service).
    version = serializers.SerializerMethodField()

    # The risk level (children.risk), derived: its key and the reasons with their records.
    risk_level = serializers.SerializerMethodField()
    risk_reasons = RiskReasonSerializer(many=True, read_only=True)

    # Blank while the archive is open: documented as such (the schema's enum plus "").
    close_reason = serializers.ChoiceField(
        choices=CloseReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Child
        # The child's fields with the derived, identifier and related ones placed among them.
        fields = [
            "id",
            "url",
            *inserted(
                IDENTITY,
                name=("name_pinyin", "name_initials"),
                ethnicity=("id_number",),
                address=("village", "village_name", "region_code", "categories", "parents"),
            ),
            *inserted(GUARDIANSHIP, carer_phone=("carer_id_number",)),
            *SCHOOLING,
            *HEALTH,
            OVER_AGE_REASON,
            "is_key",
            "key_reasons",
            "risk_level",
            "risk_reasons",
            "status",
            "close_reason",
            "closed_on",
            "close_note",
            "new_address",
            "age_review_due",
            "client_token",
            "not_duplicate_of",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "name_pinyin",
            "name_initials",
            "region_code",
            "is_key",
            "key_reasons",
            "risk_level",
            "risk_reasons",
            "status",
            "close_reason",
            "closed_on",
            "close_note",
            "new_address",
            "age_review_due",
            "created_by",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            # Derived from the ID number when it is given (see `validate`).
            "gender": {"required": False},
            "birth_date": {"required": False},
        }

    def to_representation(self, instance: Child) -> dict[str, Any]:
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

    @extend_schema_field(serializers.ChoiceField(choices=LEVEL_KEY_CHOICES))
    def get_risk_level(self, child: Child) -> str:
        return LEVEL_KEYS[RiskLevel(child.risk_level)]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version(self, child: Child) -> int | None:
        if hasattr(child, "version"):  # annotated (ChildQuerySet.with_version)
            return child.version  # type: ignore[no-any-return]
        row = Child.history.filter(id=child.pk).order_by("-history_id").first()
        return row.history_id if row is not None else None

    def validate_parents(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        relations = [p["relation"] for p in value]
        if len(relations) != len(set(relations)):
            raise serializers.ValidationError(_("Give each parent once."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not (attrs.get("birth_date") and attrs.get("gender")):
            # Registration: gender and date of birth come from the ID number when left out.
            number = attrs.get("id_number") or ""
            if not number:
                errors = {}
                if not attrs.get("birth_date"):
                    errors["birth_date"] = _("Give the date of birth or the ID number.")
                if not attrs.get("gender"):
                    errors["gender"] = _("Give the gender or the ID number.")
                raise serializers.ValidationError(errors)
            try:
                facts = idnumber.parse(number)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"id_number": exc.messages}) from exc
            attrs.setdefault("birth_date", facts.birth_date)
            attrs.setdefault("gender", facts.gender)
            attrs["birth_date"] = attrs["birth_date"] or facts.birth_date
            attrs["gender"] = attrs["gender"] or facts.gender
        return attrs


class ChildEditSerializer(ChildSerializer):
    """An edit of a child, optionally made from an earlier `version` (children.merge)."""

    base_version = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=1,
        help_text="The `version` the edit was made from (a phone's cached copy): fields changed "
        "on the server since then and also by this edit are not applied (409).",
    )

    class Meta(ChildSerializer.Meta):
        fields = [*ChildSerializer.Meta.fields, "base_version"]


class ConflictSerializer(serializers.Serializer[Any]):
    """One field changed on both sides: the phone's value, the server's, the one both started
    from, and who changed the server's value when."""

    yours = serializers.JSONField()
    theirs = serializers.JSONField()
    base = serializers.JSONField()
    changed_by = serializers.CharField()
    changed_at = serializers.DateTimeField(allow_null=True)


class MergeConflictSerializer(serializers.Serializer[Any]):
    """409: some fields of an edit from `base_version` were changed on the server too."""

    detail = serializers.CharField()
    applied = serializers.ListField(child=serializers.CharField())
    kept = serializers.ListField(
        child=serializers.CharField(),
        help_text="Fields the edit left at the base value while the server changed them: the "
        "server's value stays.",
    )
    version = serializers.IntegerField(allow_null=True)
    conflicts = serializers.DictField(child=ConflictSerializer())


RECORD_READ_ONLY = ["id", "child", "created_by", "created_at"]


class AssistanceSerializer(serializers.ModelSerializer[Assistance]):
    client_token = serializers.UUIDField(required=False, allow_null=True)

    class Meta:
        model = Assistance
        fields = [
            *RECORD_READ_ONLY,
            "kind",
            "status",
            "started_on",
            "ended_on",
            "amount",
            "provider",
            "note",
            "client_token",
        ]
        read_only_fields = RECORD_READ_ONLY


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    client_token = serializers.UUIDField(required=False, allow_null=True)

    class Meta:
        model = Referral
        fields = [
            *RECORD_READ_ONLY,
            "organisation",
            "reason",
            "referred_on",
            "outcome",
            "outcome_note",
            "client_token",
        ]
        read_only_fields = RECORD_READ_ONLY


class WorkNoteSerializer(serializers.ModelSerializer[WorkNote]):
    client_token = serializers.UUIDField(required=False, allow_null=True)

    class Meta:
        model = WorkNote
        fields = [*RECORD_READ_ONLY, "noted_on", "text", "client_token"]
        read_only_fields = RECORD_READ_ONLY


class ProblemSerializer(serializers.ModelSerializer[Problem]):
    client_token = serializers.UUIDField(required=False, allow_null=True)

    class Meta:
        model = Problem
        fields = [
            *RECORD_READ_ONLY,
            "found_on",
            "description",
            "solution",
            "solved_on",
            "client_token",
        ]
        read_only_fields = RECORD_READ_ONLY


class ChildFilterSerializer(serializers.Serializer[Any]):
    """The list's query parameters (see `children.selectors.ChildFilter`)."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=50)
    region = serializers.RegexField(r"^\d{1,12}$", required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Status.choices, required=False, allow_blank=True)
    key = serializers.ChoiceField(
        choices=[("0", "0"), ("1", "1")], required=False, allow_blank=True
    )
    sort = serializers.CharField(required=False, allow_blank=True)

    def validate_sort(self, value: str) -> str:
        from children.selectors import SORTS

        if value and value not in SORTS:
            raise serializers.ValidationError(
                _("Sort by one of: %(keys)s.") % {"keys": ", ".join(SORTS)}
            )
        return value


class CandidateSerializer(serializers.Serializer[Any]):
    """A likely duplicate of a child or a draft (children.duplicates), visible to the caller."""

    id = serializers.IntegerField(source="child.pk")
    url = serializers.SerializerMethodField()
    name = serializers.CharField(source="child.name")
    birth_date = serializers.DateField(source="child.birth_date")
    village = serializers.IntegerField(source="child.village_id")
    village_name = serializers.CharField(source="child.village.name")
    status = serializers.ChoiceField(choices=Status.choices, source="child.status")
    reasons = serializers.ListField(child=serializers.CharField())
    reason_labels = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField()

    def get_url(self, candidate: Any) -> str:
        request = self.context.get("request")
        path = f"/api/v1/children/{candidate.child.pk}/"
        return request.build_absolute_uri(path) if request is not None else path


class DuplicateCheckSerializer(serializers.Serializer[Any]):
    """What a registration would supply, to list its likely duplicates before saving."""

    name = serializers.CharField(max_length=50)
    birth_date = serializers.DateField(required=False, allow_null=True)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True)
    village = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), required=False, allow_null=True
    )
    carer_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    carer_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    phones = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=10
    )


class LikelyDuplicatesSerializer(serializers.Serializer[Any]):
    """A registration not saved: send it again with `not_duplicate_of` listing every
    candidate that is not the same child."""

    detail = serializers.CharField()
    likely_duplicates = CandidateSerializer(many=True)
