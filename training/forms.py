"""Forms of the training pages. They collect input; the rules are in training.services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core import clock
from org.models import Region, User
from training.models import Course, OrganiserLevel, Session, Topic
from training.services import SessionInput

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.real_name or obj.username} ({obj.username})"


class PeopleChoiceField(forms.ModelMultipleChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.real_name or obj.username} ({obj.username})"


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class MaterialForm(forms.Form):
    file = forms.FileField(
        label=_("Material"),
        help_text=_("PDF, Word, Excel, PowerPoint, JPEG or PNG."),
    )


class SessionForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    organiser_level = forms.ChoiceField(label=_("Organised by"), choices=OrganiserLevel.choices)
    region = forms.ModelChoiceField(label=_("Organising region"), queryset=Region.objects.none())
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    place = forms.CharField(label=_("Place"), max_length=200)
    trainer = forms.CharField(label=_("Trainer"), max_length=100)
    invitees = PeopleChoiceField(
        label=_("Invited"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        courses: QuerySet[Course],
        regions: list[Region],
        people: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        self.fields["region"].queryset = Region.objects.filter(pk__in=[r.pk for r in regions])  # type: ignore[attr-defined]
        self.fields["invitees"].queryset = people  # type: ignore[attr-defined]

    def to_input(self) -> SessionInput:
        data = self.cleaned_data
        return SessionInput(
            course=data["course"],
            organiser_level=data["organiser_level"],
            region=data["region"],
            date=data["date"],
            place=data["place"],
            trainer=data["trainer"],
            invitees=list(data["invitees"]),
        )


class _SessionPersonForm(forms.Form):
    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none())

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = session.invitees.order_by("real_name", "pk")  # type: ignore[attr-defined]


class AttendanceForm(_SessionPersonForm):
    attended = forms.BooleanField(label=_("Attended"), required=False, initial=True)


PASSED_CHOICES = [
    ("", _("From the score (60 or more passes)")),
    ("1", _("Passed")),
    ("0", _("Failed")),
]


class ResultForm(_SessionPersonForm):
    score = forms.IntegerField(label=_("Score (0-100)"), min_value=0, max_value=100)
    passed = forms.ChoiceField(label=_("Result"), choices=PASSED_CHOICES, required=False)
    assessor = forms.CharField(label=_("Assessor"), max_length=100)
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DATE_WIDGET)

    def passed_value(self) -> bool | None:
        value = self.cleaned_data.get("passed")
        return None if value in ("", None) else value == "1"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Attendance and results workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class PolicyForm(forms.Form):
    lapsed_blocks_work = forms.BooleanField(
        label=_("Lapsed annual training blocks work"),
        required=False,
        help_text=_(
            "Off (the default): workers whose annual training lapsed are warned only. On: they "
            "can read but not change records until trained again."
        ),
    )


def default_date() -> datetime.date:

    return clock.today()
