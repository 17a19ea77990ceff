"""The forms of the field app: the online pages' own forms (the same fields, labels, choices and
help), rendered once into the shell, filled and checked on the phone, and sent to the API by
the outbox. The server's services still decide: what they refuse comes back as field errors,
keyed by these same names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from children import idnumber
from children.forms import ChildForm, WorkNoteForm
from children.models import Child
from core import clock
from org.models import Region, User
from reports.forms import ReportForm
from visits.forms import DoneForm, VisitForm

# What a director may change in a child's archive on the phone: the contact details that go
# out of date between visits. Each edit carries the version it was based on, so a field changed
# on both sides comes back as a conflict for her to settle (children/merge.py).
EDITABLE_FIELDS = ("carer_name", "carer_relation", "carer_phone", "school_name")


class ContactEditForm(forms.Form):
    """The child's contact details, with the ChildForm's own fields."""

    def __init__(self, *args: Any, villages: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        full = ChildForm(villages=villages)
        for name in EDITABLE_FIELDS:
            self.fields[name] = full.fields[name]


def field_forms(user: User, villages: list[Region]) -> dict[str, forms.BaseForm]:
    village_qs = Region.objects.filter(pk__in=[v.pk for v in villages])
    child_form = ChildForm(villages=village_qs)
    if len(villages) == 1:
        child_form.initial["village"] = villages[0].pk
    return {
        "visit": VisitForm(children=Child.objects.none()),
        "note": WorkNoteForm(initial={"noted_on": clock.today()}),
        "child": child_form,
        "edit": ContactEditForm(villages=village_qs),
        "report": ReportForm(children=Child.objects.none(), villages=village_qs),
        "done": DoneForm(),
    }


def id_messages() -> dict[str, str]:
    """The resident-ID check's messages by error code, from the server's own catalogue, for the
    same check on the phone (static/carecase/idnumber.js)."""
    return idnumber.error_messages()
