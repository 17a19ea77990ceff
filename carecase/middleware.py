"""Every page requires a signed-in user, except the few listed here."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths reachable without signing in. The API answers 401/403 itself (token clients).
PUBLIC_PREFIXES = ("/accounts/login/", "/health/", "/static/", "/api/", "/i18n/")
PASSWORD_CHANGE_PATHS = ("/accounts/password/", "/accounts/logout/")


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(PUBLIC_PREFIXES):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if getattr(user, "must_change_password", False) and not path.startswith(
                PASSWORD_CHANGE_PATHS
            ):
                return redirect(reverse("password_change"))
        return self.get_response(request)
