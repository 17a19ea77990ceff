"""The page form of a statistics export; rules are in exports.services and exports.selectors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.regions import Level
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
        choices = []
        for region in areas:
            label = region.name
            if region.level == Level.DISTRICT:
                label = f"{region.name} ({Level(region.level).label})"
            choices.append((region.code, label))
        self.fields["area"].widget.choices = choices
