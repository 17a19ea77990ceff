"""Sign-in (password, then the second factor: a code of the authenticator app or a recovery
code, or the enrolment under the security administrator's permit) and password change, with
the first-sign-in and maximum-age password rules.

The person is signed in (django.contrib.auth.login) only once both factors passed: until then
the session holds only who gave the right password, when (TWO_FACTOR_STEP_MINUTES), and where
to go next."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.models import Device

from carecase.passwords import password_expired
from core import clock, permissions
from org import sessions, two_factor
from org.models import StaffStatus, User

PENDING = "_carecase_two_factor_pending"


class CareCaseAuthenticationForm(AuthenticationForm):
    error_messages = {
        "invalid_login": gettext_lazy(
            "Wrong account name or password. After 5 failed attempts the account is locked "
            "for 15 minutes."
        ),
        "inactive": gettext_lazy(
            "This account is disabled. Contact your district civil-affairs office."
        ),
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "status", "active") != "active":
            raise ValidationError(self.error_messages["inactive"], code="inactive")


class LoginView(auth_views.LoginView):
    form_class = CareCaseAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.get_user()
        if permissions.needs_two_factor(user) or two_factor.has_factor(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,  # type: ignore[attr-defined]  # set by authenticate()
                "at": clock.now().isoformat(),
                "next": self.get_success_url(),
            }
            return redirect("login_code")
        return super().form_valid(form)


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The person who gave the right password in this session a moment ago, if any."""
    state = request.session.get(PENDING)
    if not isinstance(state, dict):
        return None
    started = datetime.datetime.fromisoformat(state["at"])
    if clock.now() - started > datetime.timedelta(minutes=settings.TWO_FACTOR_STEP_MINUTES):
        del request.session[PENDING]
        return None
    user = User.objects.filter(pk=state["user"], is_active=True, status=StaffStatus.ACTIVE).first()
    return (user, state) if user is not None else None


def _expired(request: HttpRequest) -> HttpResponse:
    messages.warning(request, _("The sign-in took too long. Sign in again."))
    return redirect("login")


def _next(request: HttpRequest, state: dict[str, Any]) -> str:
    target = str(state.get("next") or "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(settings.LOGIN_REDIRECT_URL)


def _sign_in(request: HttpRequest, user: User, device: Device, state: dict[str, Any]) -> None:
    del request.session[PENDING]
    # django-otp's user_logged_in receiver keeps the verified device in the session.
    user.otp_device = device  # type: ignore[attr-defined]
    auth.login(request, user, backend=state["backend"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=32,
        help_text=gettext_lazy(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code, or where to go without one."""
    pending = _pending(request)
    if pending is None:
        return _expired(request)
    user, state = pending
    if not two_factor.has_factor(user):
        if two_factor.live_permit(user) is not None:
            return redirect("login_enrol")
        del request.session[PENDING]
        return render(request, "registration/two_factor_contact.html", status=403)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify(user, form.cleaned_data["code"])
        if result.device is not None:
            _sign_in(request, user, result.device, state)
            return redirect(_next(request, state))
        form.add_error(
            "code",
            _("Too many wrong codes: wait a minute, then try again.")
            if result.throttled
            else _(
                "This code is not right or has expired: enter the 6 digits your authenticator "
                "app shows now, or a recovery code you have not used."
            ),
        )
    return render(request, "registration/two_factor_code.html", {"form": form, "person": user})


class EnrolForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("First code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the 6 digits the app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def login_enrol(request: HttpRequest) -> HttpResponse:
    """Enrolment at sign-in under the security administrator's permit: the person scans the
    QR code with their authenticator app and confirms with its first code; their recovery
    codes are shown once, on this answer."""
    pending = _pending(request)
    if pending is None:
        return _expired(request)
    user, state = pending
    if two_factor.has_factor(user) or two_factor.live_permit(user) is None:
        return redirect("login_code")
    device = two_factor.enrolment_device(user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = two_factor.enrolment_confirm(
            user=user, device=device, code=form.cleaned_data["code"], request=request
        )
        if enrolled is not None:
            _sign_in(request, user, enrolled.device, state)
            return render(
                request,
                "registration/two_factor_recovery.html",
                {"codes": enrolled.recovery_codes, "next": _next(request, state)},
            )
        form.add_error(
            "code",
            _(
                "This code is not right: check that the phone's time is correct and enter the "
                "6 digits the app shows now."
            ),
        )
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "person": user,
            "qr": two_factor.qr_svg(device.config_url),
            "secret": two_factor.secret_of(device),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["password_expired"] = isinstance(user, User) and password_expired(user)
        context["max_age_days"] = settings.PASSWORD_MAX_AGE_DAYS
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        # The session's key changed with the password; the person's other sessions end.
        new_key = self.request.session.session_key
        sessions.rekeyed(user=user, old_key=old_key, new_key=new_key)
        sessions.sessions_end_others(user=user, keep=new_key)
        return response
