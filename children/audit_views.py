"""The audit administrator's reading of the access log (R20)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from children.models import AccessAction, AccessLog
from core import permissions
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

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end cannot be before the start."))
        return data


def access_log(request: HttpRequest) -> HttpResponse:
    scope = permissions.audit_scope(request.user)
    if not scope.prefixes:
        raise PermissionDenied(_("The access log is read by the audit administrator."))
    # Rows about a child in the audited regions, and exports or imports by staff those
    # regions manage.
    rows = AccessLog.objects.filter(
        scope.q("child__region_code")
        | (Q(child__isnull=True) & scope.q("user__managing_district__code"))
    ).select_related("user", "child__village")
    form = AccessLogFilter(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            rows = rows.filter(Q(user__username=data["user"]) | Q(user__real_name=data["user"]))
        if data["action"]:
            rows = rows.filter(action=data["action"])
        if data["since"]:
            rows = rows.filter(at__date__gte=data["since"])
        if data["until"]:
            rows = rows.filter(at__date__lte=data["until"])
    page = Paginator(rows.order_by("-at", "-pk"), 50).get_page(request.GET.get("page"))
    return render(request, "children/access_log.html", {"form": form, "page": page})
