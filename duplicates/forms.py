"""The merge form: which archive survives, and for each field whose value it keeps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from children.models import Child
from duplicates.merging import MERGE_FIELDS, MERGED, SURVIVOR

EXTRA_LABELS = {
    "village": _("village/community"),
    "id_number": _("ID number"),
    "carer_id_number": _("carer's ID number"),
    "categories": _("categories"),
    "parents": _("parents"),
}


def field_label(name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    return str(getattr(Child._meta.get_field(name), "verbose_name", name))


class MergeForm(forms.Form):
    """`survivor` is "a" or "b" (the two archives as listed); each field is "a" or "b"."""

    survivor = forms.ChoiceField(label=_("Archive kept"), choices=[("a", "A"), ("b", "B")])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in MERGE_FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=field_label(name),
                choices=[("a", "A"), ("b", "B")],
                initial="a",
                widget=forms.RadioSelect,
            )

    def merge_choices(self) -> tuple[str, dict[str, str]]:
        """("a" or "b" for the survivor, {field: "survivor" | "merged"})."""
        kept = self.cleaned_data["survivor"]
        return kept, {
            name: SURVIVOR if self.cleaned_data[name] == kept else MERGED for name in MERGE_FIELDS
        }
