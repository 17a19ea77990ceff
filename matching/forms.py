from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from matching.models import Outcome
from matching.sources import Source, SourceKind


class UploadForm(forms.Form):
    source = forms.ChoiceField(label=_("Kind of list"), choices=SourceKind.choices)
    file = forms.FileField(label=_("File (.xlsx or .csv)"))


class MappingForm(forms.Form):
    """One choice per field of the list's kind: which of the file's columns holds it (by
    default the column the dry run recognised, or the district's last choice)."""

    def __init__(
        self,
        data: Any = None,
        *,
        source: Source,
        columns: list[str],
        current: dict[str, str],
    ) -> None:
        super().__init__(data)
        choices = [("", _("Recognise from the usual headers")), *((c, c) for c in columns)]
        self.required_keys = {spec.key for spec in source.fields() if spec.required}
        for spec in source.fields():
            self.fields[spec.key] = forms.ChoiceField(
                label=str(spec.label),
                choices=choices,
                required=False,
                initial=current.get(spec.key, "") if current.get(spec.key) in columns else "",
            )

    def mapping(self) -> dict[str, str]:
        return {key: header for key, header in self.cleaned_data.items() if header}


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices])
    outcome_link = forms.CharField(
        label=_("Link to the archive changed or created"),
        required=False,
        max_length=200,
        help_text=_("For example /children/123/"),
    )
    done_note = forms.CharField(
        label=_("Reason or note"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"outcome": data["outcome"], "link": data["outcome_link"], "note": data["done_note"]}


class FindingRuleForm(forms.Form):
    not_in_archive = forms.BooleanField(label=_("A child not in the archive"), required=False)
    dropout = forms.BooleanField(
        label=_("Dropped out or long absent, in school in the archive"), required=False
    )
    disability = forms.BooleanField(
        label=_("A disability certificate, no disability in the archive"), required=False
    )
    poverty = forms.BooleanField(
        label=_("A 低保/特困 family, no poverty category or assistance in the archive"),
        required=False,
    )
    allowance_closed = forms.BooleanField(
        label=_("An allowance paid for a closed child"), required=False
    )
    moved_out = forms.BooleanField(label=_("Moved out, still active here"), required=False)
    parent = forms.BooleanField(
        label=_("A parent detained, in rehabilitation or missing"), required=False
    )
    death = forms.BooleanField(label=_("A death"), required=False)
    missing_six_months = forms.BooleanField(
        label=_(
            "A parent reported missing over six months ago (R19): assess as de-facto unsupported"
        ),
        required=False,
    )
    due_days = forms.IntegerField(label=_("Visit within (days)"), min_value=1, max_value=60)
