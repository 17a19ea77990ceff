"""The security administrator's page: accounts locked after failed sign-ins (django-axes)."""

from __future__ import annotations

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecase import access
from core import clock


def _require_security_admin(request: HttpRequest) -> None:
    if not access.is_security_admin(request.user):
        raise PermissionDenied(_("Sign-in lockouts are managed by the security administrator."))


def lockouts(request: HttpRequest) -> HttpResponse:
    _require_security_admin(request)
    since = clock.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since).order_by("-attempt_time")
    page = Paginator(attempts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "security/lockouts.html",
        {"page": page, "limit": settings.AXES_FAILURE_LIMIT},
    )


@require_POST
def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    _require_security_admin(request)
    attempt = AccessAttempt.objects.filter(pk=pk).first()
    if attempt is not None:
        reset(ip=attempt.ip_address, username=attempt.username)
        messages.success(
            request, _("%(username)s can sign in again.") % {"username": attempt.username}
        )
    return redirect("lockouts")
