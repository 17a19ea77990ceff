"""The inbox (a person's own notifications, unread first) and the district reminder rule."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import scoping
from core.district_rules import DistrictRuleView
from core.http import AuthenticatedRequest
from core.roles import Role
from notifications.forms import ReminderRuleForm
from notifications.inbox import inbox_for, notification_mark_read, notifications_mark_all_read
from notifications.models import Notification, ReminderRule
from notifications.rules import DEFAULTS, FIELDS
from org.models import Region

PAGE_SIZE = 25


def inbox(request: AuthenticatedRequest) -> HttpResponse:
    notifications = inbox_for(request.user).only(
        "pk", "kind", "title", "body", "link", "created", "read_at"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


def _back(request: AuthenticatedRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


@require_POST
def mark_read(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
    notification_mark_read(notification=notification)
    return redirect(_back(request, "notifications:inbox"))


@require_POST
def mark_all_read(request: AuthenticatedRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:inbox")


class ReminderRulePage(DistrictRuleView):
    """The reminder rule of a district the user serves as civil-affairs staff."""

    model = ReminderRule
    form_class = ReminderRuleForm
    template_name = "notifications/rules.html"
    saved_message = gettext_lazy("The reminder rule is saved.")

    def districts(self) -> list[Region]:
        return scoping.get_scope(self.request.user).regions(Role.CIVIL_AFFAIRS)

    def current(self, district: Region) -> ReminderRule:
        rule = ReminderRule.objects.filter(district=district).first()
        return rule or ReminderRule(district=district, **{f: getattr(DEFAULTS, f) for f in FIELDS})

    def success_url(self, district: Region) -> str:
        return reverse("notifications:rules_district", kwargs={"district_id": district.pk})


rules = ReminderRulePage.as_view()
