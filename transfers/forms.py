from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.forms import RESUBMIT_MESSAGES
from org.models import Region

REASON_WIDGET = forms.Textarea(attrs={"rows": 2})


class StartForm(forms.Form):
    """Send a child: the receiving village (found by name), the reason."""

    q = forms.CharField(
        label=_("Find the receiving village by name"), required=False, max_length=50
    )
    to_village = forms.IntegerField(label=_("Receiving village"), required=False)
    reason = forms.CharField(
        label=_("Reason for the transfer"), max_length=300, required=False, widget=REASON_WIDGET
    )
    finding = forms.IntegerField(required=False, widget=forms.HiddenInput)
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())


class ClaimForm(forms.Form):
    """Ask for an archive closed as moved away (from the registration page)."""

    id_number = forms.CharField(label=_("ID number"), max_length=18)
    to_village = forms.ModelChoiceField(
        label=_("Village/community"), queryset=Region.objects.none()
    )
    reason = forms.CharField(
        label=_("Where the child lives now"), max_length=300, required=False, widget=REASON_WIDGET
    )
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)

    def __init__(self, *args: Any, villages: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_village"].queryset = villages  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())


class DeclineForm(forms.Form):
    decline_reason = forms.CharField(
        label=_("Reason for declining"), max_length=300, widget=REASON_WIDGET
    )
