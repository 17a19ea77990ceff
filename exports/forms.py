"""The page forms of a statistics export and of a national-system export; rules are in
exports.services and exports.selectors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.regions import Level
from exports.models import NationalMode
from org.models import Region


class StatisticsExportForm(forms.Form):
    date = forms.DateField(
        label=_("Statistics on"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        help_text=_("Children registered by this date and not closed before it."),
    )
    # A code, not a model choice: the service answers an area outside the user's scope with
    # a 404, the same as a region that does not exist.
    area = forms.CharField(label=_("Region"), widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args: Any, areas: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].widget.choices = area_choices(areas)


def area_choices(areas: list[Region]) -> list[tuple[str, str]]:
    choices = []
    for region in areas:
        label = region.name
        if region.level == Level.DISTRICT:
            label = f"{region.name} ({Level(region.level).label})"
        choices.append((region.code, label))
    return choices


class NationalExportForm(forms.Form):
    area = forms.CharField(label=_("Region"), widget=forms.Select(attrs={"class": "form-select"}))
    mode = forms.ChoiceField(
        label=_("What to export"),
        choices=NationalMode.choices,
        initial=NationalMode.FULL,
        widget=forms.RadioSelect,
        help_text=_(
            "The changes are relative to the region's last export in the ledger, whoever made it."
        ),
    )

    def __init__(self, *args: Any, areas: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].widget.choices = area_choices(areas)
