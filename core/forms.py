"""Small helpers shared by the pages' forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    that field, otherwise at the top of the form. A field the form has refused already keeps
    the form's own message (the service checked what was left of it)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            if target is not None and target in form.errors:
                continue
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


# The hidden id of a submission (client_uuid) missing or mangled: the person can only reload
# the form, so say that, visibly (templates show hidden fields' errors above the form).
RESUBMIT_MESSAGES = {
    "required": gettext_lazy("The form was sent incomplete. Reload the page and submit it again."),
    "invalid": gettext_lazy("The form was sent incomplete. Reload the page and submit it again."),
}
