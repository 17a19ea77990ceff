from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import ReminderRule

# notifications.models.INSPECTION_REMINDER_MAX_DAYS is 60.
DAYS_RANGE_MESSAGE = _("Enter a number of days from 1 to 60.")


class ReminderRuleForm(forms.ModelForm[ReminderRule]):
    class Meta:
        model = ReminderRule
        fields = [
            "due_soon_days",
            "supervisor_after_days",
            "district_after_days",
            "digest_threshold",
            "inspection_reminder_days",
        ]
        error_messages = {
            **{
                field: {
                    "min_value": _(
                        "Enter a number of at least 1: zero or negative is not allowed."
                    ),
                }
                for field in fields
            },
            "inspection_reminder_days": {
                "min_value": DAYS_RANGE_MESSAGE,
                "max_value": DAYS_RANGE_MESSAGE,
            },
        }
        help_texts = {
            "inspection_reminder_days": _(
                "Supervisors are reminded of the villages not yet inspected this quarter from "
                "this many days before the quarter ends (1 to 60)."
            ),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        supervisor = data.get("supervisor_after_days")
        district = data.get("district_after_days")
        if supervisor and district and district < supervisor:
            self.add_error(
                "district_after_days",
                _("District civil affairs is told after the town supervisor, not before."),
            )
        return data
