"""Every page requires a signed-in user, except the few listed here."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

# Paths reachable without signing in. The API answers 401/403 itself (token clients); the
# field app's service worker, manifest and session check answer a signed-out phone too.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/health/",
    "/static/",
    "/api/",
    "/i18n/",
    "/sw.js",
    "/manifest.webmanifest",
    "/field/session/",
)
PASSWORD_CHANGE_PATHS = ("/accounts/password/", "/accounts/logout/")


class CompressTextMiddleware(GZipMiddleware):
    """gzip for pages, fragments, JSON and CSV when the browser accepts it (the HTML of a page
    shrinks to a quarter: issue 14, light pages on a weak network); files that are compressed
    already (workbooks, PDFs, images) pass through unchanged, with their length. Static files
    never reach it: whitenoise, before it, serves their .br/.gz.

    BREACH: Django's GZipMiddleware pads every response with up to 100 random bytes ("Heal
    the Breach"), the CSRF token is masked anew in every response, and the session cookie is
    SameSite=Lax, so a cross-site page cannot make the browser send the many credentialed
    requests with chosen input the attack needs (see the settings and README, "Deployment")."""

    COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml")

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.get("Content-Type", "").startswith(self.COMPRESSIBLE):
            return response
        compressed: HttpResponseBase = super().process_response(request, response)
        return compressed


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


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every page and API response: they carry
    children's data, and an office computer is shared (static files keep their caching; the
    phone's service worker keeps its own cache, so offline work is unaffected)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path_info.startswith("/static/"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class BreakGlassAuditMiddleware:
    """Every request of a superuser (the break-glass account, created only with
    `manage.py createsuperuser`) goes into the administrators' log: method, path, status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_superuser:
            from org import adminlog
            from org.models import AdminAction

            adminlog.record(
                by=user,
                action=AdminAction.SUPERUSER,
                target_type="request",
                label=f"{request.method} {request.path}"[:200],
                after={
                    "method": request.method,
                    "path": request.path[:500],
                    "status": response.status_code,
                },
                request=request,
            )
        return response
