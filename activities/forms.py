"""The activity form: the organising area, the type, the children who took part (the child
picker, any number of them), volunteers, photos and notes. The checks are the service's
(activities.services); the form only shapes the values."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from activities.models import ActivityKind, SafetyTopic
from activities.services import MAX_PHOTOS, ActivityInput
from children.attachments import ACCEPT
from children.models import Child
from core import clock
from core.forms import RESUBMIT_MESSAGES
from org.models import Region
from providers.models import ServiceProvider


class ChildrenPickerWidget(forms.SelectMultiple):
    """The child picker (children/picker.py, its endpoint and script) choosing any number of
    children: each chosen child becomes a ticked box named like the field, which unticking
    removes (static/activities/attendance.js)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        base_id = final.get("id") or f"id_{name}"
        chosen: list[Child] = []
        values = [v for v in (value or []) if str(v).isdigit()]
        queryset = getattr(self.choices, "queryset", None)
        if values and queryset is not None:
            chosen = list(queryset.filter(pk__in=values).only("pk", "name").order_by("name"))
        boxes = format_html_join(
            "",
            '<label class="list-group-item"><input class="form-check-input me-2" '
            'type="checkbox" name="{}" value="{}" checked data-attendee>{}</label>',
            ((name, child.pk, child.name) for child in chosen),
        )
        return format_html(
            '<div data-attendance data-name="{name}" data-count-label="{count_label}">'
            '<div class="position-relative" data-picker>'
            '<input type="hidden" data-picker-value>'
            '<input type="search" id="{id}_search" class="form-control" '
            'placeholder="{placeholder}" autocomplete="off" form="{id}_none" '
            'aria-describedby="{id}_count" '
            'hx-get="{url}" hx-trigger="input changed delay:250ms, focus once" '
            'hx-target="#{id}_results" hx-sync="this:replace" data-picker-search>'
            '<div id="{id}_results" class="list-group mt-1" data-picker-results '
            'aria-live="polite"></div></div>'
            '<div class="small text-muted mt-2" id="{id}_count" data-attendee-count></div>'
            '<div class="list-group mt-1" data-attendees data-testid="attendees">{boxes}</div>'
            '<script src="{picker}" defer></script><script src="{script}" defer></script></div>',
            name=name,
            id=base_id,
            count_label=_("Children chosen: "),
            placeholder=_("Type a name, pinyin, initials or ID number"),
            url=reverse("children:picker") + "?" + urlencode({"active": 1}),
            boxes=boxes,
            picker=static("children/picker.js"),
            script=static("activities/attendance.js"),
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files]


class ActivityForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)
    region = forms.ModelChoiceField(
        label=_("Organised by"), queryset=Region.objects.none(), empty_label=None
    )
    provider = forms.ModelChoiceField(
        label=_("With a service provider"),
        queryset=ServiceProvider.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=ActivityKind.choices)
    topics = forms.MultipleChoiceField(
        label=_("Safety topics"),
        choices=SafetyTopic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    title = forms.CharField(label=_("Title"), max_length=100)
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    children = forms.ModelMultipleChoiceField(
        label=_("Children who took part"),
        queryset=Child.objects.none(),
        required=False,
        widget=ChildrenPickerWidget,
        error_messages={
            "invalid_choice": _("A child chosen is not in your regions."),
            "invalid_pk_value": _("A child chosen is not in your regions."),
        },
    )
    volunteers = forms.CharField(
        label=_("Volunteers"),
        max_length=300,
        required=False,
        help_text=_("Names or the team, e.g. 西南大学青年志愿者 3 人"),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
        help_text=_("JPEG or PNG photos, or a scanned sign-in sheet as PDF; at most %(n)d.")
        % {"n": MAX_PHOTOS},
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, regions: list[Region], providers: Any, children: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        region_field: Any = self.fields["region"]
        region_field.queryset = Region.objects.filter(pk__in=[r.pk for r in regions])
        region_field.choices = [(r.pk, r.name) for r in regions]
        provider_field: Any = self.fields["provider"]
        provider_field.queryset = providers
        children_field: Any = self.fields["children"]
        # Any child the user may see: the service says which are outside the area.
        children_field.queryset = children
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("held_on", clock.today())
            if regions:
                self.initial.setdefault("region", regions[0].pk)

    def values(self) -> ActivityInput:
        data = self.cleaned_data
        return ActivityInput(
            region=data["region"],
            provider=data.get("provider"),
            kind=data["kind"],
            topics=list(data.get("topics") or []),
            title=data["title"],
            held_on=data["held_on"],
            place=data["place"],
            volunteers=data.get("volunteers", ""),
            notes=data.get("notes", ""),
        )
