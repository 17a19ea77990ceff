"""Forms of the visit pages: short, phone-first, the rules themselves in the services
(visits.services, visits.followups, visits.inspections)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from children.models import Child
from children.models_risk import RiskRule
from children.picker import ChildPickerField
from core import clock
from core.district_rules import rule_fields
from core.forms import RESUBMIT_MESSAGES
from org.models import Region
from visits.followups import FollowUpInput
from visits.inspections import CHECKLIST, RectificationInput
from visits.models import FINDING_AREAS, Finding, VisitKind
from visits.services import VISIT_FIELDS, SiblingInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FOLLOW_UP_ROWS = 2


class VisitFieldsMixin(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=VisitKind.choices, widget=forms.RadioSelect, initial="in_person"
    )
    visit_date = forms.DateField(label=_("Date"), widget=DATE)
    seen = forms.CharField(
        label=_("Who was seen"),
        max_length=200,
        required=False,
        help_text=_("Required for a home visit, e.g. the child and the grandmother."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for area, label in FINDING_AREAS:
            self.fields[area] = forms.ChoiceField(
                label=label, choices=Finding.choices, widget=forms.RadioSelect, initial="fine"
            )
            self.fields[f"{area}_note"] = forms.CharField(
                label=_("Note"),
                max_length=300,
                required=False,
                # The label is not shown on the phone layout: the placeholder and the screen
                # reader's label say what the box is for.
                widget=forms.TextInput(
                    attrs={"placeholder": _("Note (optional)"), "aria-label": label}
                ),
            )
        self.fields["problems"] = forms.CharField(
            label=_("Problems found"), required=False, widget=forms.Textarea(attrs={"rows": 2})
        )
        self.fields["actions"] = forms.CharField(
            label=_("Actions taken"), required=False, widget=forms.Textarea(attrs={"rows": 2})
        )
        self.fields["danger_found"] = forms.BooleanField(
            label=_("The child is in danger (a mandatory report must be filed)"), required=False
        )

    def visit_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in VISIT_FIELDS}

    def areas(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[area], self[f"{area}_note"]) for area, _label in FINDING_AREAS]


class VisitForm(VisitFieldsMixin):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)
    # A search-as-you-type picker (children/picker.py): the queryset (active children in
    # scope, set by the view) still validates the chosen id.
    child: forms.ModelChoiceField[Any] = ChildPickerField(
        label=_("Child"), queryset=Child.objects.none(), active_only=True
    )

    child_note = forms.CharField(
        label=_("About this child only"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("About this child only (optional)")}),
    )
    also_siblings = forms.BooleanField(
        label=_("Also for his/her siblings"),
        required=False,
        initial=True,
        help_text=_("One visit is stored for each child of the household, with these findings."),
    )

    def __init__(
        self, *args: Any, children: Any, siblings: list[Child] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]
        # The household's other children (a known child's), each ticked, with what was found
        # about that child only.
        self.siblings = list(siblings or [])
        for sibling in self.siblings:
            self.fields[f"sibling_{sibling.pk}"] = forms.BooleanField(
                label=sibling.name, required=False, initial=True
            )
            self.fields[f"sibling_{sibling.pk}_concerns"] = forms.MultipleChoiceField(
                label=_("Concerns about this child only"),
                choices=[(area, label) for area, label in FINDING_AREAS],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
            self.fields[f"sibling_{sibling.pk}_note"] = forms.CharField(
                label=_("About this child only"),
                max_length=300,
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "placeholder": _("About this child only (optional)"),
                        "aria-label": _("About %(name)s only") % {"name": sibling.name},
                    }
                ),
            )
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("visit_date", clock.today())
        for i in range(1, FOLLOW_UP_ROWS + 1):
            self.fields[f"follow_up_{i}"] = forms.CharField(
                label=_("Follow-up item"),
                max_length=300,
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "placeholder": _("Follow-up item, e.g. call the school"),
                        "aria-label": _("Follow-up item"),
                    }
                ),
            )
            self.fields[f"follow_up_{i}_due"] = forms.DateField(
                label=_("Due on"),
                required=False,
                widget=forms.DateInput(
                    attrs={"type": "date", "aria-label": _("Due on")}, format="%Y-%m-%d"
                ),
            )
            self.fields[f"follow_up_{i}_urgent"] = forms.BooleanField(
                label=_("Urgent"), required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, FOLLOW_UP_ROWS + 1):
            if data.get(f"follow_up_{i}") and not data.get(f"follow_up_{i}_due"):
                self.add_error(f"follow_up_{i}_due", _("Give the date this is due."))
        return data

    def follow_ups(self) -> list[FollowUpInput]:
        data = self.cleaned_data
        return [
            FollowUpInput(
                data[f"follow_up_{i}"], data[f"follow_up_{i}_due"], data[f"follow_up_{i}_urgent"]
            )
            for i in range(1, FOLLOW_UP_ROWS + 1)
            if data.get(f"follow_up_{i}")
        ]

    def sibling_rows(
        self,
    ) -> list[tuple[Child, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                s,
                self[f"sibling_{s.pk}"],
                self[f"sibling_{s.pk}_concerns"],
                self[f"sibling_{s.pk}_note"],
            )
            for s in self.siblings
        ]

    def sibling_inputs(self, household: list[Child]) -> list[SiblingInput]:
        """The siblings ticked: of the rows shown, those ticked; without rows (the child
        picked on the page), the whole `household` when "also for his/her siblings" is."""
        data = self.cleaned_data
        if not data.get("also_siblings"):
            return []
        if not self.siblings:
            return [SiblingInput(child=c) for c in household]
        return [
            SiblingInput(
                child=s,
                concerns=tuple(data.get(f"sibling_{s.pk}_concerns") or ()),
                note=data.get(f"sibling_{s.pk}_note") or "",
            )
            for s in self.siblings
            if data.get(f"sibling_{s.pk}")
        ]

    def follow_up_rows(self) -> list[tuple[forms.BoundField, ...]]:
        return [
            (self[f"follow_up_{i}"], self[f"follow_up_{i}_due"], self[f"follow_up_{i}_urgent"])
            for i in range(1, FOLLOW_UP_ROWS + 1)
        ]


class CorrectionForm(VisitFieldsMixin):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        required=False,
        help_text=_("Required after the author's 7-day window."),
    )


class InspectionForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)
    village: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Village/community"), queryset=Region.objects.none()
    )
    inspected_on = forms.DateField(label=_("Date"), widget=DATE)
    visits_done = forms.BooleanField(label=_("Visits are done"), required=False)
    key_children_followed = forms.BooleanField(
        label=_("Key children are followed up"), required=False
    )
    director_work_ok = forms.BooleanField(
        label=_("The director's work is in order"), required=False
    )
    childrens_home_ok = forms.BooleanField(
        label=_("The children's home is in order"), required=False
    )
    data_current = forms.BooleanField(label=_("The data is up to date"), required=False)
    findings = forms.CharField(
        label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rectification_1 = forms.CharField(label=_("Rectification item"), max_length=300, required=False)
    rectification_1_due = forms.DateField(label=_("Due on"), required=False, widget=DATE)
    rectification_2 = forms.CharField(label=_("Rectification item"), max_length=300, required=False)
    rectification_2_due = forms.DateField(label=_("Due on"), required=False, widget=DATE)

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("inspected_on", clock.today())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in (1, 2):
            if data.get(f"rectification_{i}") and not data.get(f"rectification_{i}_due"):
                self.add_error(f"rectification_{i}_due", _("Give the date this is due."))
        return data

    def checklist(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in CHECKLIST}

    def rectifications(self) -> list[RectificationInput]:
        return [
            RectificationInput(
                self.cleaned_data[f"rectification_{i}"], self.cleaned_data[f"rectification_{i}_due"]
            )
            for i in (1, 2)
            if self.cleaned_data.get(f"rectification_{i}")
        ]


class CadenceRuleForm(forms.Form):
    contact_months = forms.IntegerField(label=_("Contact every (months)"))
    home_visit_months = forms.IntegerField(label=_("Home visit every (months)"))
    key_home_visit_months = forms.IntegerField(label=_("Key children: home visit every (months)"))
    key_remote_counts = forms.BooleanField(
        label=_("Key children: phone or video contacts count as contacts"), required=False
    )
    first_home_visit_days = forms.IntegerField(
        label=_("First home visit within (days of registration)")
    )


class RiskRuleForm(forms.Form):
    """The district's risk weights and thresholds (children.models_risk.RiskRule): a weight
    per reason, the score from which each level starts, the level visited at home monthly.
    Checked by visits.services.risk_rule_save."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = rule_fields(RiskRule)
        for field in RiskRule._meta.concrete_fields:
            name = field.name
            if name not in names:
                continue
            if name == "monthly_home_visit_from":
                self.fields[name] = forms.TypedChoiceField(
                    label=field.verbose_name, choices=field.choices or [], coerce=int
                )
            else:
                self.fields[name] = forms.IntegerField(
                    label=field.verbose_name,
                    min_value=0,
                    error_messages={
                        "invalid": _("Give a whole number."),
                        "required": _("Give a whole number."),
                        "min_value": _("Give a whole number, zero or more."),
                    },
                )


class DoneForm(forms.Form):
    """Marking a follow-up or rectification item done: the date (default today) and a short
    note of what was done."""

    done_on = forms.DateField(
        label=_("Done on"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("Give a date as YYYY-MM-DD.")},
    )
    done_note = forms.CharField(label=_("What was done"), max_length=300, required=False)


class FollowUpForm(forms.Form):
    """One more follow-up item on a saved visit (its page)."""

    text = forms.CharField(
        label=_("Follow-up item"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Follow-up item, e.g. call the school")}),
    )
    due_on = forms.DateField(
        label=_("Due on"), widget=DATE, error_messages={"invalid": _("Give a date as YYYY-MM-DD.")}
    )
    urgent = forms.BooleanField(label=_("Urgent"), required=False)

    def item(self) -> FollowUpInput:
        data = self.cleaned_data
        return FollowUpInput(data["text"], data["due_on"], data["urgent"])
