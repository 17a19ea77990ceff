"""The security administrator's pages: accounts locked after failed sign-ins (django-axes),
every live API token (revocable), every account's second factor (enrolment permits, resets)
and sessions; a person's own tokens, sessions (我的登录) and recovery codes; the audit
administrator's reading of the administrators' log."""

from __future__ import annotations

from axes.models import AccessAttempt
from axes.utils import reset
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carecase.selectors import lockout_attempts
from core import permissions
from core.http import AuthenticatedRequest
from org import adminlog, sessions, tokens, two_factor
from org import selectors as org_selectors
from org.models import AdminAction, User
from org.models_security import UserSession


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


def my_sessions(request: AuthenticatedRequest) -> HttpResponse:
    """我的登录: the person's last sign-in (when, from where) and the sessions they are signed
    in with, each of which they can end."""
    current = request.session.session_key
    return render(
        request,
        "security/sessions.html",
        {
            "last": sessions.last_sign_in(request.user, current),
            "rows": sessions.active_sessions(request.user),
            "current": current,
            "has_factor": two_factor.has_factor(request.user),
        },
    )


class RenewCodesForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code of your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        help_text=gettext_lazy(
            "The 6 digits your authenticator app shows now. A recovery code does not renew "
            "the codes."
        ),
        error_messages={
            "invalid": gettext_lazy(
                "Enter the 6 digits your authenticator app shows now, not a recovery code."
            )
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


@require_http_methods(["GET", "POST"])
def recovery_codes(request: AuthenticatedRequest) -> HttpResponse:
    """New recovery codes for a person who signs in with two factors, on the current code of
    their authenticator app: shown once, on the answer to the form; the old ones stop
    working. Nobody without an authenticator app has codes to renew (404)."""
    if not two_factor.has_factor(request.user):
        raise Http404
    form = RenewCodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        renewal = two_factor.recovery_codes_replace(
            user=request.user, code=form.cleaned_data["code"], request=request
        )
        if renewal.codes:
            return render(request, "security/recovery_codes_new.html", {"codes": renewal.codes})
        form.add_error(
            "code",
            _("Too many wrong codes: wait a minute, then try again.")
            if renewal.throttled
            else _(
                "This code is not right or has expired: enter the 6 digits your authenticator "
                "app shows now."
            ),
        )
    return render(
        request,
        "security/recovery_codes.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def session_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    row = UserSession.objects.filter(pk=pk, user_id=request.user.pk, ended_at__isnull=True).first()
    if row is None:
        raise Http404
    sessions.session_end(by=request.user, session=row, request=request)
    messages.success(request, _("That session is ended: it must sign in again."))
    return redirect("my_sessions")


def _require_security_admin_of_accounts(request: AuthenticatedRequest) -> None:
    if not permissions.is_security_admin(request.user):
        raise PermissionDenied(_("Second factors are managed by the security administrator."))


def two_factor_accounts(request: AuthenticatedRequest) -> HttpResponse:
    """The security administrator's list of accounts with their second factor: enrolled or
    not, a live enrolment permit, whether one is required; permit, reset, end sessions."""
    _require_security_admin_of_accounts(request)
    account = request.GET.get("q", "").strip()
    rows = org_selectors.two_factor_accounts(account=account)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "security/two_factor.html",
        {
            "page": page,
            "q": account,
            "permit_hours": settings.TWO_FACTOR_PERMIT_HOURS,
        },
    )


def _managed_account(request: AuthenticatedRequest, user_id: int) -> User:
    _require_security_admin_of_accounts(request)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    if user.pk == request.user.pk:
        raise PermissionDenied(_("Nobody manages their own second factor or sessions."))
    return user


@require_POST
def two_factor_permit(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = _managed_account(request, user_id)
    permit = two_factor.permit_issue(by=request.user, user=user, request=request)
    messages.success(
        request,
        _("%(name)s may set up a second factor at their next sign-in, until %(until)s.")
        % {"name": user, "until": date_format(localtime(permit.expires_at), "DATETIME_FORMAT")},
    )
    return redirect("security_two_factor")


@require_POST
def two_factor_reset(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = _managed_account(request, user_id)
    two_factor.two_factor_reset(by=request.user, user=user, request=request)
    messages.success(
        request,
        _(
            "%(name)s's authenticator and recovery codes are removed and their sessions ended. "
            "Allow a new set-up when they have a phone."
        )
        % {"name": user},
    )
    return redirect("security_two_factor")


@require_POST
def sessions_end_all(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = _managed_account(request, user_id)
    ended = sessions.sessions_end_all(by=request.user, user=user, request=request)
    messages.success(
        request,
        _("%(count)d sessions of %(name)s ended.") % {"count": ended, "name": user},
    )
    return redirect("security_two_factor")
