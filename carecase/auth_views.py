"""Sign-in and password change, with the first-sign-in password rule."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from org.models import User


class CareCaseAuthenticationForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Wrong account name or password. After 5 failed attempts the account is locked "
            "for 15 minutes."
        ),
        "inactive": _("This account is disabled. Contact your district civil-affairs office."),
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "status", "active") != "active":
            from django.core.exceptions import ValidationError

            raise ValidationError(self.error_messages["inactive"], code="inactive")


class LoginView(auth_views.LoginView):
    form_class = CareCaseAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        return response
