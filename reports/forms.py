"""Forms of the report pages: short and phone-first; the rules are in reports.services."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from children.models import Child
from org.models import Region
from reports.models import ReportStep, Situation, Stage, StepKind
from reports.services import ReportInput, StepInput

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = forms.Textarea(attrs={"rows": 2})


class ReportForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    child: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Registered child"), queryset=Child.objects.none(), required=False
    )
    child_description = forms.CharField(
        label=_("Or describe the child (not yet registered)"),
        required=False,
        widget=TEXT,
        help_text=_("Name if known, sex, approximate age, appearance."),
    )
    village: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Village where the child was found"), queryset=Region.objects.none(), required=False
    )
    location = forms.CharField(label=_("Where the child was found"), max_length=200, required=False)
    situations = forms.MultipleChoiceField(
        label=_("Situations"),
        choices=Situation.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    found_at = forms.DateTimeField(label=_("When it was found"), widget=DATETIME, required=False)
    how_found = forms.CharField(label=_("How it was found"), required=False, widget=TEXT)
    what_seen = forms.CharField(label=_("What was seen"), required=False, widget=TEXT)
    immediate_danger = forms.BooleanField(
        label=_("The child is in immediate danger"), required=False
    )
    police_station = forms.CharField(label=_("Police station"), max_length=100, required=False)
    police_reported_at = forms.DateTimeField(
        label=_("Reported to the police at"), widget=DATETIME, required=False
    )
    police_officer = forms.CharField(label=_("Police officer"), max_length=50, required=False)
    police_receipt = forms.CharField(label=_("Receipt number"), max_length=50, required=False)
    civil_affairs_informed = forms.BooleanField(label=_("Civil affairs informed"), required=False)
    education_informed = forms.BooleanField(label=_("Education informed"), required=False)

    def __init__(self, *args: Any, children: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())

    def report_input(self) -> ReportInput:
        data = self.cleaned_data
        result = ReportInput(
            situations=list(data.get("situations") or []),
            found_at=data.get("found_at"),
            child=data.get("child"),
            village=data.get("village"),
            police_reported_at=data.get("police_reported_at"),
        )
        for name in TEXT_FIELDS:
            setattr(result, name, data.get(name) or "")
        for name in FLAG_FIELDS:
            setattr(result, name, bool(data.get(name)))
        return result


TEXT_FIELDS = (
    "child_description",
    "location",
    "how_found",
    "what_seen",
    "police_station",
    "police_officer",
    "police_receipt",
)
FLAG_FIELDS = ("immediate_danger", "civil_affairs_informed", "education_informed")
STEP_KINDS = [(k, label) for k, label in StepKind.choices if k != StepKind.REPORT]
STEP_STAGES = [("", "—"), *[(s, label) for s, label in Stage.choices if s != Stage.REPORTED]]


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of step"), choices=STEP_KINDS, initial=StepKind.STAGE)
    stage = forms.ChoiceField(label=_("Stage reached"), choices=STEP_STAGES, required=False)
    what = forms.CharField(label=_("What was done"), required=False, widget=TEXT)
    done_at = forms.DateTimeField(label=_("When"), widget=DATETIME, required=False)
    child_location = forms.CharField(
        label=_("Where the child is now"), max_length=200, required=False
    )
    next_step = forms.CharField(label=_("Next step expected"), max_length=200, required=False)
    next_due_at = forms.DateTimeField(label=_("Due by"), widget=DATETIME, required=False)
    corrects: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Corrects the step"), queryset=ReportStep.objects.none(), required=False
    )

    def __init__(self, *args: Any, steps: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["corrects"].queryset = steps  # type: ignore[attr-defined]

    def step_input(self) -> StepInput:
        data = self.cleaned_data
        return StepInput(
            kind=data["kind"],
            stage=data.get("stage") or "",
            what=data.get("what") or "",
            done_at=data.get("done_at"),
            child_location=data.get("child_location") or "",
            next_step=data.get("next_step") or "",
            next_due_at=data.get("next_due_at"),
            corrects=data.get("corrects"),
        )
