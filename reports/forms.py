"""Forms of the report pages: short and phone-first; the rules are in reports.filing and
reports.workflow."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from children.models import Child
from children.picker import ChildPickerField, PickerWidget
from core.forms import RESUBMIT_MESSAGES
from org.models import Region, User
from reports.filing import ReportInput
from reports.models import (
    PERSON_STEP_KINDS,
    ReportDeadlineRule,
    ReportStep,
    Situation,
    Stage,
    StepKind,
)
from reports.workflow import RULE_FIELDS, StepInput
from visits.models import Visit

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = forms.Textarea(attrs={"rows": 2})


class ReportForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)
    child: forms.ModelChoiceField[Any] = ChildPickerField(
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
    # The visit the report is filed from (hidden; the page shows which).
    visit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Visit.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This visit is not in your regions.")},
    )

    def __init__(
        self, *args: Any, children: Any, villages: Any, visits: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]
        self.fields["visit"].queryset = (  # type: ignore[attr-defined]
            visits if visits is not None else Visit.objects.none()
        )
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
            visit=data.get("visit"),
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
# What a person may record (linking, sharing and filing are written by their own pages).
STEP_KINDS = PERSON_STEP_KINDS
STEP_STAGES = [("", "—"), *[(s, label) for s, label in Stage.choices if s != Stage.REPORTED]]


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of step"), choices=STEP_KINDS, initial=StepKind.STAGE)
    stage = forms.ChoiceField(
        label=_("Stage the case moves to"),
        choices=STEP_STAGES,
        required=False,
        help_text=_("Only for a step of the kind “Moved to a stage”."),
    )
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


class DeadlineRuleForm(forms.ModelForm[ReportDeadlineRule]):
    """A district's deadlines and escalation delay; every number at least 1."""

    class Meta:
        model = ReportDeadlineRule
        fields = list(RULE_FIELDS)
        error_messages = {
            field: {
                "min_value": _("Enter a number of at least 1: zero or negative is not allowed."),
                "max_value": _("This number is too large."),
            }
            for field in RULE_FIELDS
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours = data.get("emergency_response_hours")
        assessment = data.get("assessment_days")
        plan = data.get("assistance_plan_days")
        if hours and assessment and hours > assessment * 24:
            self.add_error(
                "assessment_days",
                _("The assessment cannot be due before the emergency response."),
            )
        if assessment and plan and plan < assessment:
            self.add_error(
                "assistance_plan_days",
                _("The assistance plan cannot be due before the assessment."),
            )
        return data


class LinkChildForm(forms.Form):
    child: forms.ModelChoiceField[Any] = ChildPickerField(
        label=_("The child's archive"),
        queryset=Child.objects.none(),
        error_messages={
            "required": _("Choose the child's archive."),
            "invalid_choice": _("This child is not in your regions."),
        },
    )

    def __init__(self, *args: Any, children: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]


class ShareForm(forms.Form):
    grantee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Share with"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose the person to share this case with."),
            "invalid_choice": _("Choose an active staff member."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("For example: the protection centre of the district that holds the child."),
    )

    def __init__(self, *args: Any, people: Any, search_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grantee"]
        field.queryset = people  # type: ignore[attr-defined]
        field.widget = PickerWidget(
            search_url,
            label=lambda pk: _person_label(people, pk),
            placeholder=str(_("Type a username or a real name")),
        )


def _person_label(people: Any, pk: Any) -> str | None:
    try:
        person = people.filter(pk=pk).first()
    except (TypeError, ValueError):
        return None
    return str(person) if person is not None else None


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
