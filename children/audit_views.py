"""The audit administrator's reading of the access log (R20)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from children import selectors
from children.models import AccessAction
from core import permissions
from core.http import AuthenticatedRequest
from org.forms import DateInput


class AccessLogFilter(forms.Form):
    user = forms.CharField(label=gettext_lazy("Account"), required=False)
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("All")), *AccessAction.choices],
    )
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    until = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end cannot be before the start."))
        return data


def access_log(request: AuthenticatedRequest) -> HttpResponse:
    scope = permissions.audit_scope(request.user)
    if not scope.prefixes:
        raise PermissionDenied(_("The access log is read by the audit administrator."))
    form = AccessLogFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.access_log_for(
        scope,
        user=data.get("user") or "",
        action=data.get("action") or "",
        since=data.get("since"),
        until=data.get("until"),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "children/access_log.html", {"form": form, "page": page})
