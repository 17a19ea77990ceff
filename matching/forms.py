from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from matching.models import Outcome
from matching.sources import SOURCES, SourceKind


class UploadForm(forms.Form):
    source = forms.ChoiceField(label=_("Kind of list"), choices=SourceKind.choices)
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    mapping = forms.CharField(
        label=_("Column mapping"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only when the file's headers are unusual: one line per column, "
            "e.g. 姓名=学生姓名. The district's last mapping of the kind is reused."
        ),
    )

    def clean_mapping(self) -> dict[str, str]:
        source = SOURCES.get(self.data.get("source", ""))
        labels = {str(f.label): f.key for f in source.fields()} if source else {}
        keys = set(labels.values())
        result: dict[str, str] = {}
        for line in (self.cleaned_data.get("mapping") or "").splitlines():
            if not line.strip():
                continue
            field, sep, header = line.partition("=")
            key = labels.get(field.strip(), field.strip())
            if not sep or key not in keys or not header.strip():
                raise forms.ValidationError(
                    _(
                        "Write each line as field=header, with a field of this kind of list: "
                        "%(fields)s."
                    )
                    % {"fields": "、".join(labels)}
                )
            result[key] = header.strip()
        return result


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
    due_days = forms.IntegerField(label=_("Visit within (days)"), min_value=1, max_value=60)
