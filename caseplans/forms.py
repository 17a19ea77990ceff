"""The pages' forms: the plan (needs per domain, goals, actions, the review date), the
approver's decision, an action marked done, a review and the district's rule.

Rows: GOAL_ROWS goals and ACTION_ROWS actions, blank rows ignored. The service's error keys
(`goals.<n>`, `actions.<n>.<field>`, numbered over the filled rows) are mapped back onto the
row the person filled (`goals_<row>`, `actions_<row>_<field>`)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from caseplans import services
from caseplans.models import CasePlan, CasePlanRule, Domain, NeedLevel, Progress, ReviewOutcome
from caseplans.who import DIRECTOR, who_ids, who_value
from core.forms import RESUBMIT_MESSAGES, add_service_errors
from org.forms import DateInput

GOAL_ROWS = 3
ACTION_ROWS = 4


class PlanForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)
    summary = forms.CharField(
        label=_("The child's situation in brief"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    review_on = forms.DateField(
        label=_("Review by"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the district's interval from today."),
    )

    def __init__(
        self,
        *args: Any,
        who: list[tuple[str, str]],
        plan: CasePlan | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for code, label in Domain.choices:
            self.fields[f"needs_{code}"] = forms.ChoiceField(
                label=label, choices=NeedLevel.choices, initial=NeedLevel.NONE
            )
            self.fields[f"needs_{code}_note"] = forms.CharField(
                label=_("About the need"),
                max_length=300,
                required=False,
                widget=forms.TextInput(
                    attrs={"aria-label": label, "placeholder": _("About the need")}
                ),
            )
        goal_choices = [("", _("No goal")), *[(str(n), str(n)) for n in range(1, GOAL_ROWS + 1)]]
        for n in range(1, GOAL_ROWS + 1):
            self.fields[f"goals_{n}"] = forms.CharField(
                label=_("Goal %(n)d") % {"n": n}, max_length=300, required=False
            )
            self.fields[f"goals_{n}_domain"] = forms.ChoiceField(
                label=_("Domain"), choices=Domain.choices, required=False
            )
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"actions_{n}_what"] = forms.CharField(
                label=_("Action %(n)d") % {"n": n}, max_length=300, required=False
            )
            self.fields[f"actions_{n}_goal"] = forms.ChoiceField(
                label=_("For goal"), choices=goal_choices, required=False
            )
            self.fields[f"actions_{n}_who"] = forms.ChoiceField(
                label=_("Who"),
                choices=[(DIRECTOR, _("The child's director")), *who],
                required=False,
            )
            self.fields[f"actions_{n}_due_on"] = forms.DateField(
                label=_("Due on"), required=False, widget=DateInput()
            )
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            if plan is not None:
                self._initial_from(plan)

    def _initial_from(self, plan: CasePlan) -> None:
        self.initial.update({"summary": plan.summary, "review_on": plan.review_on})
        for code in Domain.values:
            need = plan.needs.get(code) or {}
            self.initial[f"needs_{code}"] = need.get("level", NeedLevel.NONE)
            self.initial[f"needs_{code}_note"] = need.get("note", "")
        for goal in plan.goals.all()[:GOAL_ROWS]:
            self.initial[f"goals_{goal.number}"] = goal.text
            self.initial[f"goals_{goal.number}_domain"] = goal.domain
        open_actions = [a for a in plan.actions.all() if not a.done][:ACTION_ROWS]
        for n, action in enumerate(open_actions, 1):
            self.initial[f"actions_{n}_what"] = action.what
            self.initial[f"actions_{n}_goal"] = str(action.goal.number) if action.goal else ""
            self.initial[f"actions_{n}_who"] = who_value(action.provider_id, action.person_id)
            self.initial[f"actions_{n}_due_on"] = action.due_on

    def domains(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"needs_{c}"], self[f"needs_{c}_note"]) for c in Domain.values]

    def goal_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"goals_{n}"], self[f"goals_{n}_domain"]) for n in range(1, GOAL_ROWS + 1)]

    def action_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"actions_{n}_{f}"] for f in ("what", "goal", "who", "due_on")]
            for n in range(1, ACTION_ROWS + 1)
        ]

    def _filled_goals(self) -> list[int]:
        return [
            n
            for n in range(1, GOAL_ROWS + 1)
            if (self.cleaned_data.get(f"goals_{n}") or "").strip()
        ]

    def _filled_actions(self) -> list[int]:
        return [
            n
            for n in range(1, ACTION_ROWS + 1)
            if (self.cleaned_data.get(f"actions_{n}_what") or "").strip()
            or self.cleaned_data.get(f"actions_{n}_due_on")
        ]

    def values(self) -> dict[str, Any]:
        """The service's arguments from the filled rows."""
        data = self.cleaned_data
        goal_rows = self._filled_goals()
        position = {row: i for i, row in enumerate(goal_rows, 1)}
        actions = []
        for n in self._filled_actions():
            goal = data.get(f"actions_{n}_goal") or ""
            provider_id, person_id = who_ids(data.get(f"actions_{n}_who") or "")
            actions.append(
                services.ActionInput(
                    what=data.get(f"actions_{n}_what") or "",
                    due_on=data.get(f"actions_{n}_due_on"),
                    # A goal row left blank: an index past the goals, which the service refuses.
                    goal=position.get(int(goal), len(goal_rows) + 1) if goal else None,
                    provider_id=provider_id,
                    person_id=person_id,
                )
            )
        return {
            "needs": {
                c: {"level": data.get(f"needs_{c}"), "note": data.get(f"needs_{c}_note") or ""}
                for c in Domain.values
            },
            "goals": [
                services.GoalInput(
                    domain=data.get(f"goals_{n}_domain") or Domain.SAFETY,
                    text=data.get(f"goals_{n}") or "",
                )
                for n in goal_rows
            ],
            "actions": actions,
            "summary": data.get("summary") or "",
            "review_on": data.get("review_on"),
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's errors on the rows the person filled."""
        if not hasattr(error, "error_dict"):
            add_service_errors(self, error)
            return
        goal_rows, action_rows = self._filled_goals(), self._filled_actions()
        renamed: dict[str, list[str]] = {}
        for key, messages in error.message_dict.items():
            parts = key.split(".")
            if len(parts) >= 2 and parts[1].isdigit() and parts[0] in {"goals", "actions"}:
                rows = goal_rows if parts[0] == "goals" else action_rows
                index = int(parts[1]) - 1
                parts[1] = str(rows[index]) if index < len(rows) else parts[1]
            renamed["_".join(parts)] = messages
        add_service_errors(self, ValidationError(renamed))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return for changes"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when returning the plan."),
    )


class ActionDoneForm(forms.Form):
    done_note = forms.CharField(label=_("What was done"), max_length=300, required=False)


class ReviewForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)
    outcome = forms.ChoiceField(
        label=_("What becomes of the plan"),
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
    )
    review_on = forms.DateField(
        label=_("Next review by"),
        required=False,
        widget=DateInput(),
        help_text=_("When continuing. Empty: the district's interval from today."),
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, plan: CasePlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goals = list(plan.goals.all())
        for n, goal in enumerate(self.goals, 1):
            self.fields[f"progress_{n}"] = forms.ChoiceField(
                label=goal.text, choices=[("", "—"), *Progress.choices], required=False
            )
            self.fields[f"progress_{n}_note"] = forms.CharField(
                label=_("About the progress"), max_length=300, required=False
            )
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())

    def goal_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"progress_{n}"], self[f"progress_{n}_note"])
            for n in range(1, len(self.goals) + 1)
        ]

    def progress(self) -> list[services.ProgressInput]:
        data = self.cleaned_data
        return [
            services.ProgressInput(
                goal_id=goal.pk,
                progress=data.get(f"progress_{n}") or "",
                note=data.get(f"progress_{n}_note") or "",
            )
            for n, goal in enumerate(self.goals, 1)
        ]

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            error = ValidationError({k.replace(".", "_"): v for k, v in error.message_dict.items()})
        add_service_errors(self, error)


class CasePlanRuleForm(forms.ModelForm[CasePlanRule]):
    class Meta:
        model = CasePlanRule
        fields = ["review_months"]

    def clean_review_months(self) -> int:
        months: int = self.cleaned_data["review_months"]
        if not 1 <= months <= 12:
            raise ValidationError(_("Between 1 and 12 months."))
        return months
