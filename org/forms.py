from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core import clock
from core.roles import Role
from org.models import DISTRICT_GRANTABLE_ROLES, Region, StaffStatus, User


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class StaffForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["username", "real_name", "phone", "position", "appointed_on", "email"]
        widgets = {"appointed_on": DateInput()}
        help_texts = {"username": _("Letters, digits and @/./+/-/_ only; used to sign in.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["real_name"].required = True
        self.fields["phone"].required = True


class StaffEditForm(StaffForm):
    class Meta(StaffForm.Meta):
        fields = ["real_name", "phone", "position", "appointed_on", "email", "status"]

    status = forms.ChoiceField(label=_("status"), choices=StaffStatus.choices)


class RegionChoiceField(forms.ModelChoiceField[Region]):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.code} {obj.get_level_display()} {obj.name}"


class AssignmentForm(forms.Form):
    role = forms.ChoiceField(
        label=_("role"),
        choices=[(r.value, r.label) for r in Role if r in DISTRICT_GRANTABLE_ROLES],
    )
    region = RegionChoiceField(label=_("region"), queryset=Region.objects.none())
    start_date = forms.DateField(label=_("start date"), widget=DateInput())

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(RegionChoiceField, self.fields["region"]).queryset = regions
        self.fields["start_date"].initial = clock.today()


class AssignmentEndForm(forms.Form):
    end_date = forms.DateField(label=_("end date"), widget=DateInput())
    end_reason = forms.CharField(label=_("reason for ending"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = clock.today()


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("All")), *StaffStatus.choices]
    )
