"""The inbox (a person's own notifications, unread first) and the district reminder rule."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import scoping
from notifications.forms import ReminderRuleForm
from notifications.inbox import inbox_for, notification_mark_read, notifications_mark_all_read
from notifications.models import Notification, ReminderRule
from notifications.rules import DEFAULTS, FIELDS
from org.models import Role

PAGE_SIZE = 25


def inbox(request: HttpRequest) -> HttpResponse:
    notifications = inbox_for(request.user).only(
        "pk", "kind", "title", "body", "link", "created", "read_at"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
    notification_mark_read(notification=notification)
    return redirect(_back(request, "notifications:inbox"))


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:inbox")


def rules(request: HttpRequest, district_id: int | None = None) -> HttpResponse:
    """The reminder rule of a district the user serves as civil-affairs staff."""
    districts = scoping.get_scope(request.user).regions(Role.CIVIL_AFFAIRS)
    if not districts:
        raise Http404
    district = districts[0]
    if district_id is not None:
        chosen = next((d for d in districts if d.pk == district_id), None)
        if chosen is None:
            raise Http404
        district = chosen
    rule = ReminderRule.objects.filter(district=district).first()
    if rule is None:
        rule = ReminderRule(district=district, **{f: getattr(DEFAULTS, f) for f in FIELDS})
    form = ReminderRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.save()
        messages.success(request, _("The reminder rule is saved."))
        return redirect("notifications:rules_district", district_id=district.pk)
    return render(
        request,
        "notifications/rules.html",
        {"form": form, "district": district, "districts": districts},
        status=400 if form.is_bound and form.errors else 200,  # as the other forms answer
    )
