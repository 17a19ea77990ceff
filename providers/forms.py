"""The pages' forms: a provider of the registry, a staff account linked to it, a referral, the
provider's answer, the outcome and a withdrawal."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core import clock
from core.forms import RESUBMIT_MESSAGES
from core.regions import Level
from org.models import Region, User, phone_validator
from providers.models import (
    Consent,
    ProviderKind,
    ReferralOutcome,
    ServiceKind,
    ServiceProvider,
)
from providers.services import OUTCOME_DAYS, RESPOND_DAYS


class ProviderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ProviderKind.choices])
    services = forms.MultipleChoiceField(
        label=_("Services offered"),
        choices=ServiceKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Area served"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The towns it serves; none ticked: the whole district."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=20, required=False, validators=[phone_validator]
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, district: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas: Any = self.fields["areas"]
        areas.queryset = Region.objects.filter(parent=district, level=Level.TOWN).order_by("code")

    @classmethod
    def initial_of(cls, provider: ServiceProvider) -> dict[str, Any]:
        return {
            "name": provider.name,
            "kind": provider.kind,
            "services": provider.services,
            "areas": list(provider.areas.all()),
            "contact_name": provider.contact_name,
            "contact_phone": provider.contact_phone,
            "address": provider.address,
            "active": provider.active,
        }


class StaffLinkForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff account"), queryset=User.objects.none())

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user: Any = self.fields["user"]
        user.queryset = candidates
        user.label_from_instance = lambda u: f"{u.real_name} ({u.username})"


class ReferralForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Service provider"), queryset=ServiceProvider.objects.none()
    )
    service = forms.ChoiceField(label=_("Service"), choices=[("", "—"), *ServiceKind.choices])
    reason = forms.CharField(
        label=_("Reason for the referral"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    consent = forms.ChoiceField(label=_("Consent"), choices=[("", "—"), *Consent.choices])
    consent_on = forms.DateField(
        label=_("Consent given on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    respond_by = forms.DateField(
        label=_("Answer expected by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_on = forms.DateField(
        label=_("Outcome expected by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages=RESUBMIT_MESSAGES)

    def __init__(self, *args: Any, providers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider: Any = self.fields["provider"]
        provider.queryset = providers
        provider.label_from_instance = lambda p: (
            f"{p.name} · " + "、".join(str(ServiceKind(s).label) for s in p.services)
        )
        today = clock.today()
        self.initial.setdefault("client_uuid", uuid.uuid4())
        self.initial.setdefault("consent_on", today)
        self.initial.setdefault("respond_by", today + datetime.timedelta(days=RESPOND_DAYS))
        self.initial.setdefault("due_on", today + datetime.timedelta(days=OUTCOME_DAYS))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Answer"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (the reason, when declining)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *ReferralOutcome.choices])
    done_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    done_note = forms.CharField(
        label=_("What was done"), max_length=300, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("done_on", clock.today())


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for withdrawing"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
