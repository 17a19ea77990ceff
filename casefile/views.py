"""The child's archive page (档案): everything about one child, with the timeline."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from casefile.selectors import child_page
from children.audit import log_access
from children.models import AccessAction, Child
from core import scoping
from core.http import AuthenticatedRequest


def child_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = scoping.get_visible_or_404(
        Child.objects.select_related("village__parent", "created_by"), request.user, pk=pk
    )
    log_access(request, AccessAction.VIEW, child=child)
    return render(request, "children/child_detail.html", child_page(child, request.user))
