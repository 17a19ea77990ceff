"""Forms of the household pages: the shared facts (children.household.SHARED_FIELDS, the
carer's ID number, the parents) and the guardianship capacity assessment. The rules are
applied by children.household and children.registration."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from children.choices import CarerCapacity, GuardianshipQuality, GuardianType, ParentRelation
from children.fields import PARENT_FIELDS
from children.forms import _blank, _parent_fields
from children.household import household_parents
from children.models_household import CAPACITY_ITEMS, Household, ItemRating
from core import clock
from core.forms import RESUBMIT_MESSAGES
from org.forms import DateInput


class HouseholdForm(forms.Form):
    address = forms.CharField(label=_("Current address"), max_length=200)
    guardian_type = forms.ChoiceField(label=_("Guardian"), choices=_blank(GuardianType.choices))
    carer_name = forms.CharField(label=_("Entrusted carer"), max_length=50, required=False)
    carer_relation = forms.CharField(
        label=_("Relation to the child"), max_length=20, required=False
    )
    carer_phone = forms.CharField(label=_("Carer's phone"), max_length=20, required=False)
    carer_id_number = forms.CharField(label=_("Carer's ID number"), max_length=30, required=False)
    carer_address = forms.CharField(label=_("Carer's address"), max_length=200, required=False)
    carer_capacity = forms.ChoiceField(
        label=_("Carer's capacity"), choices=_blank(CarerCapacity.choices), required=False
    )
    entrustment_signed_on = forms.DateField(
        label=_("Entrusted-guardianship confirmation signed on"),
        required=False,
        widget=DateInput(),
    )
    guardianship_quality = forms.ChoiceField(
        label=_("Guardianship quality"), choices=_blank(GuardianshipQuality.choices)
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Optional; kept in the history of each child."),
    )

    SHARED = (
        "address",
        "guardian_type",
        "carer_name",
        "carer_relation",
        "carer_phone",
        "carer_id_number",
        "carer_address",
        "carer_capacity",
        "entrustment_signed_on",
        "guardianship_quality",
    )

    def __init__(
        self, *args: Any, household: Household, show_identifiers: bool = False, **kwargs: Any
    ) -> None:
        self.household = household
        self.parents_before = household_parents(household)
        if "initial" not in kwargs:
            initial: dict[str, Any] = {
                k: getattr(household, k) for k in self.SHARED if k != "carer_id_number"
            }
            if show_identifiers:
                initial["carer_id_number"] = household.carer_id
            for relation, values in self.parents_before.items():
                for key in PARENT_FIELDS:
                    if key != "id_number" or show_identifiers:
                        initial[f"{relation}_{key}"] = values.get(key)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for relation in ParentRelation.values:
            self.fields.update(_parent_fields(relation))

    def shared_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SHARED]

    def parent_sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                str(ParentRelation(relation).label),
                [self[f"{relation}_{key}"] for key in PARENT_FIELDS],
            )
            for relation in ParentRelation.values
        ]

    def values(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str]:
        """(shared fields, parents, the carer's ID number) for children.household_save; an
        ID number left empty keeps the one on record."""
        data = self.cleaned_data
        fields = {k: data.get(k) for k in self.SHARED if k != "carer_id_number"}
        parents: dict[str, dict[str, Any]] = {}
        for relation in ParentRelation.values:
            values = {key: data.get(f"{relation}_{key}") for key in PARENT_FIELDS}
            if not values["id_number"] and relation in self.parents_before:
                values["id_number"] = self.parents_before[relation].get("id_number", "")
            parents[relation] = values
        carer_id = data.get("carer_id_number") or self.household.carer_id
        return fields, parents, carer_id


class AssessmentForm(forms.Form):
    client_token = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DateInput())
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in CAPACITY_ITEMS:
            self.fields[name] = forms.ChoiceField(
                label=label,  # type: ignore[arg-type]
                choices=ItemRating.choices,
                widget=forms.RadioSelect,
            )
        # The note last.
        self.fields["note"] = self.fields.pop("note")
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())
            self.initial.setdefault("assessed_on", clock.today())

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "client_token"}


class FamilySearchForm(forms.Form):
    q = forms.CharField(
        label=_("A parent's or the carer's phone or name"), max_length=50, required=False
    )
