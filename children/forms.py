"""Forms of the archive pages. They shape input; the rules are applied by children.registration."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from children.choices import (
    ETHNICITIES,
    AssistanceStatus,
    AssistanceType,
    CarerCapacity,
    Category,
    CloseReason,
    DisabilityGrade,
    DisabilityType,
    Gender,
    GuardianshipQuality,
    GuardianType,
    Health,
    ParentRelation,
    ParentStatus,
    ReferralOutcome,
    Schooling,
    Status,
)
from children.fields import (
    CHILD_FIELDS,
    GUARDIANSHIP,
    HEALTH,
    IDENTITY,
    OVER_AGE_REASON,
    PARENT_FIELDS,
    SCHOOLING,
    inserted,
)
from children.models import Assistance, Child, Problem, Referral, WorkNote
from children.registration import ChildInput
from children.selectors import SORTS, ChildFilter
from org.forms import DateInput
from org.models import Region


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "---------"), *choices]


class VillageField(forms.ModelChoiceField[Region]):
    def label_from_instance(self, obj: Region) -> str:
        parent = obj.parent.name if obj.parent is not None else ""
        return f"{parent} {obj.name}".strip()


def _parent_fields(relation: str) -> dict[str, forms.Field]:
    return {
        f"{relation}_name": forms.CharField(label=_("Name"), max_length=50, required=False),
        f"{relation}_status": forms.ChoiceField(
            label=_("Situation"), choices=_blank(ParentStatus.choices), required=False
        ),
        f"{relation}_work_province": forms.CharField(
            label=_("Working in (province)"), max_length=20, required=False
        ),
        f"{relation}_work_city": forms.CharField(
            label=_("Working in (city)"), max_length=30, required=False
        ),
        f"{relation}_phone": forms.CharField(label=_("Phone"), max_length=20, required=False),
        f"{relation}_id_number": forms.CharField(
            label=_("ID number"), max_length=30, required=False
        ),
        f"{relation}_missing_since": forms.DateField(
            label=_("Missing since"), required=False, widget=DateInput()
        ),
    }


@dataclass(frozen=True)
class FormPanel:
    """One collapsible section of the child form (a <details> of the page)."""

    key: str
    title: str
    fields: list[forms.BoundField]
    columns: bool = False  # two columns from the md breakpoint (the parents' fields)

    @property
    def error_count(self) -> int:
        return sum(len(field.errors) for field in self.fields)

    @property
    def open(self) -> bool:
        """Open when it holds a required field or an error: the rest can wait for a tap."""
        return self.error_count > 0 or any(field.field.required for field in self.fields)


class ChildForm(forms.Form):
    """Registration and editing, in the sections of the national registration form."""

    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    # Identity
    name = forms.CharField(label=_("Name"), max_length=50)
    # Gender and date of birth may be left to a valid ID number (children.registration); the
    # page fills them in as the ID number is typed (static/carecase/child_form.js).
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=Gender.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Filled in from a valid ID number."),
    )
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNICITIES, initial="01")
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        required=False,
        help_text=_("18 characters; the date of birth and gender must agree with it."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        widget=DateInput(),
        required=False,
        help_text=_("Filled in from a valid ID number."),
    )
    over_age_reason = forms.CharField(
        label=_("reason for keeping past 18"),
        max_length=200,
        required=False,
        help_text=_("Only for someone 18 or older whose archive is kept by a policy case."),
    )
    hukou_registered = forms.BooleanField(
        label=_("Household registration done"), required=False, initial=True
    )
    hukou_address = forms.CharField(label=_("Place of household registration"), max_length=200)
    address = forms.CharField(label=_("Current address"), max_length=200)
    village = VillageField(label=_("Village/community"), queryset=Region.objects.none())
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )

    # Guardianship
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

    # Schooling
    schooling = forms.ChoiceField(label=_("Schooling"), choices=_blank(Schooling.choices))
    school_name = forms.CharField(label=_("School"), max_length=100, required=False)
    grade = forms.CharField(label=_("Grade"), max_length=20, required=False)
    boarding = forms.BooleanField(label=_("Boarding"), required=False)

    # Health
    health = forms.ChoiceField(label=_("Health"), choices=Health.choices, initial="healthy")
    disability_type = forms.ChoiceField(
        label=_("Disability type"), choices=_blank(DisabilityType.choices), required=False
    )
    disability_grade = forms.ChoiceField(
        label=_("Disability grade"), choices=_blank(DisabilityGrade.choices), required=False
    )
    illness = forms.CharField(label=_("Illness"), max_length=100, required=False)
    psychological_concern = forms.BooleanField(
        label=_("Psychological or behavioural concern"), required=False
    )
    psychological_note = forms.CharField(
        label=_("About the concern"), max_length=200, required=False
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Optional; kept in the history."),
    )

    # The sections of the child's fields, with the identity numbers, the reason for keeping
    # past 18, the village and the categories placed among them.
    SECTIONS = (
        (
            _("Identity"),
            inserted(
                IDENTITY,
                name=("id_number",),  # first: a valid one fills in gender and birth date
                birth_date=(OVER_AGE_REASON,),
                address=("village", "categories"),
            ),
        ),
        (_("Guardianship"), inserted(GUARDIANSHIP, carer_phone=("carer_id_number",))),
        (_("Schooling"), SCHOOLING),
        (_("Health"), HEALTH),
    )

    def __init__(
        self,
        *args: Any,
        villages: QuerySet[Region],
        instance: Child | None = None,
        show_identifiers: bool = False,
        **kwargs: Any,
    ) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self._initial(instance, show_identifiers)
        super().__init__(*args, **kwargs)
        for relation in ParentRelation.values:
            self.fields.update(_parent_fields(relation))
        self.fields["village"].queryset = villages.select_related("parent")  # type: ignore[attr-defined]
        if instance is not None:
            self.fields["client_token"].widget = forms.HiddenInput()
            if instance.id_masked:
                self.fields["id_number"].help_text = _(
                    "Recorded: %(masked)s. Leave empty to keep it."
                ) % {"masked": instance.id_masked}
        else:
            self.fields["reason"].widget = forms.HiddenInput()
            if not self.is_bound:
                self.initial.setdefault("client_token", uuid.uuid4())

    @staticmethod
    def _initial(child: Child, show_identifiers: bool) -> dict[str, Any]:
        initial: dict[str, Any] = {key: getattr(child, key) for key in CHILD_FIELDS}
        initial["village"] = child.village_id
        initial["categories"] = child.category_codes()
        if show_identifiers:
            initial["id_number"] = child.id_number
            initial["carer_id_number"] = child.carer_id
        for parent in child.parents.all():
            for key in PARENT_FIELDS:
                if key == "id_number":
                    if show_identifiers:
                        initial[f"{parent.relation}_id_number"] = parent.id_number
                    continue
                initial[f"{parent.relation}_{key}"] = getattr(parent, key)
        return initial

    def parent_sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                str(ParentRelation(relation).label),
                [self[f"{relation}_{key}"] for key in PARENT_FIELDS],
            )
            for relation in ParentRelation.values
        ]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(title), [self[name] for name in names]) for title, names in self.SECTIONS]

    SECTION_KEYS = ("identity", "guardianship", "schooling", "health")

    def panels(self) -> list[FormPanel]:
        """The page's sections in order, the parents after the identity."""
        panels = [
            FormPanel(key, title, fields)
            for key, (title, fields) in zip(self.SECTION_KEYS, self.sections(), strict=True)
        ]
        parents = [
            FormPanel(relation, title, fields, columns=True)
            for relation, (title, fields) in zip(
                ParentRelation.values, self.parent_sections(), strict=True
            )
        ]
        return [panels[0], *parents, *panels[1:]]

    def to_input(self) -> ChildInput:
        """The service's input. On a form that is not valid, the fields that failed are left
        empty (None), so that the service's rules can still be checked on the rest."""
        data = self.cleaned_data
        child = self.instance
        parents_before = {p.relation: p for p in child.parents.all()} if child else {}
        parents: dict[str, dict[str, Any]] = {}
        for relation in ParentRelation.values:
            values = {key: data.get(f"{relation}_{key}") for key in PARENT_FIELDS}
            if not values["id_number"] and relation in parents_before:
                values["id_number"] = parents_before[relation].id_number  # kept, not shown
            parents[relation] = values
        id_number = data.get("id_number") or (child.id_number if child else "")
        carer_id = data.get("carer_id_number") or (child.carer_id if child else "")
        return ChildInput(
            village=data.get("village"),
            fields={key: data.get(key) for key in CHILD_FIELDS},
            id_number=id_number,
            carer_id_number=carer_id,
            categories=list(data.get("categories") or []),
            parents=parents,
        )


class ChildFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, pinyin, initials or ID number"), "type": "search"}
        ),
    )
    region = forms.ChoiceField(label=_("Town or village"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Status.choices]
    )
    key = forms.ChoiceField(
        label=_("Key child"),
        required=False,
        choices=[("", _("All")), ("1", _("Key children")), ("0", _("Others"))],
    )
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS])
    overdue = forms.ChoiceField(
        label=_("Overdue"),
        required=False,
        choices=[("", _("All")), ("contact", _("Contact overdue")),
                 ("home_visit", _("Home visit overdue"))],
    )  # fmt: skip
    visited = forms.ChoiceField(
        label=_("Visits"),
        required=False,
        choices=[
            ("", _("All")),
            ("contacted", _("Contacted this month")),
            ("not_contacted", _("Not contacted this month")),
            ("home_visited", _("Visited at home this quarter")),
            ("not_home_visited", _("Not visited at home this quarter")),
        ],
    )

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field = cast(forms.ChoiceField, self.fields["region"])
        region_field.choices = [("", _("All of my regions"))] + [
            (r.code, ("— " if r.level == "village" else "") + r.name) for r in regions
        ]

    def to_filter(self) -> ChildFilter:
        if not self.is_valid():
            return ChildFilter(status=Status.ACTIVE)
        data = self.cleaned_data
        return ChildFilter(
            q=data["q"],
            region=data["region"],
            category=data["category"],
            status=data["status"],
            key=data["key"],
            sort=data["sort"] or "village",
            overdue=data["overdue"],
            visited=data["visited"],
        )


class CloseForm(forms.Form):
    # A merge closes an archive itself (duplicates.merging): not a reason to pick.
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=_blank([c for c in CloseReason.choices if c[0] != CloseReason.MERGED]),
    )
    closed_on = forms.DateField(
        label=_("Closed on"), widget=DateInput(), initial=datetime.date.today
    )
    new_address = forms.CharField(label=_("New address"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReopenForm(forms.Form):
    note = forms.CharField(label=_("Why is the archive reopened?"), max_length=200)


class _RecordForm(forms.ModelForm[Model]):
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk is None:
            self.initial.setdefault("client_token", uuid.uuid4())

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "client_token"}


class AssistanceForm(_RecordForm):
    kind = forms.ChoiceField(label=_("Type of assistance"), choices=_blank(AssistanceType.choices))
    status = forms.ChoiceField(label=_("Status"), choices=_blank(AssistanceStatus.choices))

    class Meta:
        model = Assistance
        fields = ["kind", "status", "started_on", "ended_on", "amount", "provider", "note"]
        widgets = {"started_on": DateInput(), "ended_on": DateInput()}


class ReferralForm(_RecordForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReferralOutcome.choices)

    class Meta:
        model = Referral
        fields = ["organisation", "reason", "referred_on", "outcome", "outcome_note"]
        widgets = {"referred_on": DateInput()}


class WorkNoteForm(_RecordForm):
    class Meta:
        model = WorkNote
        fields = ["noted_on", "text"]
        widgets = {"noted_on": DateInput(), "text": forms.Textarea(attrs={"rows": 4})}


class ProblemForm(_RecordForm):
    class Meta:
        model = Problem
        fields = ["found_on", "description", "solution", "solved_on"]
        widgets = {
            "found_on": DateInput(),
            "solved_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "solution": forms.Textarea(attrs={"rows": 3}),
        }


RECORD_FORMS: dict[str, type[_RecordForm]] = {
    "assistance": AssistanceForm,
    "referral": ReferralForm,
    "note": WorkNoteForm,
    "problem": ProblemForm,
}
RECORD_TITLES = {
    "assistance": _("Assistance"),
    "referral": _("Referral"),
    "note": _("Work-log note"),
    "problem": _("Problem found and its solution"),
}
