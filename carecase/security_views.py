"""The security administrator's pages: accounts locked after failed sign-ins (django-axes) and
every live API token (revocable); a person's own tokens; the audit administrator's reading of
the administrators' log."""

from __future__ import annotations

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecase.selectors import lockout_attempts
from core import permissions
from core.http import AuthenticatedRequest
from org import adminlog, tokens
from org import selectors as org_selectors
from org.models import AdminAction


def _require_security_admin(request: AuthenticatedRequest) -> None:
    if not permissions.is_security_admin(request.user):
        raise PermissionDenied(_("Sign-in lockouts are managed by the security administrator."))


def lockouts(request: AuthenticatedRequest) -> HttpResponse:
    _require_security_admin(request)
    attempts = lockout_attempts()
    page = Paginator(attempts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "security/lockouts.html",
        {"page": page, "limit": settings.AXES_FAILURE_LIMIT},
    )


@require_POST
def unlock(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_security_admin(request)
    attempt = AccessAttempt.objects.filter(pk=pk).first()
    if attempt is not None:
        reset(ip=attempt.ip_address, username=attempt.username)
        adminlog.record(
            by=request.user,
            action=AdminAction.UNLOCK,
            target_type="axes.accessattempt",
            target_id=str(pk),
            label=attempt.username or "",
            before={"username": attempt.username, "ip": attempt.ip_address},
            request=request,
        )
        messages.success(
            request, _("%(username)s can sign in again.") % {"username": attempt.username}
        )
    return redirect("lockouts")


def token_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every live API token (device, owner, created, expiry, last use; never the secret)."""
    _require_security_admin(request)
    page = Paginator(org_selectors.live_tokens().order_by("-created"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "security/tokens.html", {"page": page, "everyone": True})


def my_tokens(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in person's API tokens, one per device."""
    rows = org_selectors.live_tokens().filter(user_id=request.user.pk).order_by("-created")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "security/tokens.html", {"page": page, "everyone": False})


@require_POST
def token_revoke(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    rows = org_selectors.live_tokens()
    if not permissions.is_security_admin(request.user):
        rows = rows.filter(user_id=request.user.pk)
    token = rows.filter(public_id=public_id).first()
    if token is None:
        raise Http404
    tokens.token_revoke(by=request.user, token=token, request=request)
    messages.success(request, _("The token is revoked; that device must sign in again."))
    if token.user_id == request.user.pk:
        return redirect("my_tokens")
    return redirect("security_tokens")


def admin_log(request: AuthenticatedRequest) -> HttpResponse:
    """The administrators' log, for the audit administrator."""
    if not permissions.is_audit_admin(request.user):
        raise PermissionDenied(_("The administrators' log is read by the audit administrator."))
    account = request.GET.get("user", "").strip()
    rows = org_selectors.admin_log_entries(account=account)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "security/admin_log.html", {"page": page, "account": account})
