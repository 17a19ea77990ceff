"""Forms of the supervision pages; the rules themselves live in supervision.services and
supervision.figures."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.figures import default_period, period_errors
from supervision.models import CHECKLIST, Rating
from supervision.services import MAX_SEED, RectificationInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RECTIFICATION_ROWS = 3
YES_NO = [("yes", _("Met")), ("no", _("Not met"))]


class PeriodForm(forms.Form):
    """The assessment period: this year to date unless chosen."""

    start = forms.DateField(label=_("From"), widget=DATE, required=False)
    end = forms.DateField(label=_("To"), widget=DATE, required=False)

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = default_period(self.today)
        data["start"] = data.get("start") or start
        data["end"] = data.get("end") or end
        for name, messages in period_errors(data["start"], data["end"], self.today).items():
            for message in messages:
                self.add_error(name, message)
        return data


class AssessmentForm(forms.Form):
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Written assessment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The work over the year: visits, archives, reports, inspections, training."),
    )


class DrawForm(forms.Form):
    district: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("District"), queryset=None, empty_label=None
    )
    year = forms.IntegerField(label=_("Year"))
    percentage = forms.IntegerField(
        label=_("Sample (percent of each town's active archives)"),
        help_text=_("A whole number from 1 to 100; each town's sample is rounded up."),
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        help_text=_(
            "Leave empty to have one generated. It is recorded: the same seed over the same "
            "archives draws the same sample."
        ),
    )

    def __init__(self, *args: Any, districts: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("year", today.year)
            self.initial.setdefault("percentage", 5)


class CheckForm(forms.Form):
    """The checklist of one archive, pre-filled with the suggestions; findings; new
    rectification items."""

    findings = forms.CharField(
        label=_("Findings"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when a point is not met."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in reversed(CHECKLIST):
            self.fields = {
                name: forms.ChoiceField(
                    label=label, choices=YES_NO, widget=forms.RadioSelect, required=False
                ),
                **self.fields,
            }
        for i in range(1, RECTIFICATION_ROWS + 1):
            self.fields[f"rect_{i}_text"] = forms.CharField(
                label=_("Rectification item %(n)d") % {"n": i}, max_length=300, required=False
            )
            self.fields[f"rect_{i}_due_on"] = forms.DateField(
                label=_("Due on"), widget=DATE, required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, RECTIFICATION_ROWS + 1):
            text, due = data.get(f"rect_{i}_text"), data.get(f"rect_{i}_due_on")
            if text and not due and f"rect_{i}_due_on" not in self.errors:
                self.add_error(f"rect_{i}_due_on", _("Give the date it is due."))
            if due and not text:
                self.add_error(f"rect_{i}_text", _("Describe the rectification item."))
        return data

    def answers(self) -> dict[str, bool | None]:
        values = {"yes": True, "no": False}
        return {name: values.get(self.cleaned_data.get(name) or "") for name, _l in CHECKLIST}

    def rectifications(self) -> list[RectificationInput]:
        result = []
        for i in range(1, RECTIFICATION_ROWS + 1):
            text, due = (
                self.cleaned_data.get(f"rect_{i}_text"),
                self.cleaned_data.get(f"rect_{i}_due_on"),
            )
            if text and due:
                result.append(RectificationInput(text, due))
        return result

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _label in CHECKLIST]

    def rectification_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"rect_{i}_text"], self[f"rect_{i}_due_on"])
            for i in range(1, RECTIFICATION_ROWS + 1)
        ]
