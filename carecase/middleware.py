"""Every page requires a signed-in user, except the few listed here."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY

from carecase import requestid, views
from carecase.passwords import password_expired
from core import clock, metrics, permissions
from org import sessions
from org.models import User

# Paths reachable without signing in. The API answers 401/403 itself (token clients); the
# field app's service worker, manifest and session check answer a signed-out phone too.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/health/",
    "/ready/",
    "/static/",
    "/api/",
    "/i18n/",
    "/sw.js",
    "/manifest.webmanifest",
    "/field/session/",
    "/metrics/",  # its bearer token (carecase.metrics_views)
)
PASSWORD_CHANGE_PATHS = ("/accounts/password/", "/accounts/logout/")
_PASSWORD_CHECKED = "_carecase_password_checked"  # noqa: S105 - a session key


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


class RequestIdMiddleware:
    """First of all: the request's id (its sane X-Request-ID, or a new one) for every log line
    it writes and every task it queues, and in the response's X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        value = requestid.clean(request.META.get(requestid.META_KEY)) or requestid.new()
        # Kept until the response is finished (carecase.requestid.forget): Django logs a 4xx
        # or 5xx answer after the middleware returned it.
        requestid.current.set(requestid.Context(request_id=value, request=request))
        response = self.get_response(request)
        response[requestid.HEADER] = value
        return response


class RequestMetricsMiddleware:
    """Each request's time in carecase_http_request_duration_seconds, by the name of the view
    that answered (the URL pattern's, never the path: it may carry an ID or a child's pk)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with metrics.timer() as elapsed:
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # No match: no pattern answered (a 404 before any view).
        view = (match.view_name or match.route or "unnamed") if match else "unmatched"
        method = request.method if request.method in KNOWN_METHODS else "other"
        metrics.HTTP_REQUEST_SECONDS.labels(
            view=view, method=method, status=metrics.status_class(response.status_code)
        ).observe(elapsed[0])
        return response


KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class LoginRequiredMiddleware:
    """A signed-in session of a person who must have a second factor
    (core.permissions.needs_two_factor) and was not verified by one at sign-in (a session made
    by another path, a role that now requires it) is signed out, on every path, the API's
    session requests included: the sign-in's code step marks the session (django_otp.login),
    and a reset of the factor ends the person's sessions. Every other path requires a
    signed-in user, whose one-time or expired (administrators: PASSWORD_MAX_AGE_DAYS)
    password is changed first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("/static/"):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated:
            if permissions.needs_two_factor(user) and not request.session.get(
                DEVICE_ID_SESSION_KEY
            ):
                auth.logout(request)
                messages.warning(
                    request, _("Your account signs in with a verification code: sign in again.")
                )
                user = request.user
            else:
                sessions.touch(request)
        if not path.startswith(PUBLIC_PREFIXES):
            if not isinstance(user, User):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if (
                user.must_change_password or self._password_expired(request, user)
            ) and not path.startswith(PASSWORD_CHANGE_PATHS):
                return redirect(reverse("password_change"))
        return self.get_response(request)

    @staticmethod
    def _password_expired(request: HttpRequest, user: User) -> bool:
        """carecase.passwords.password_expired, asked once a day per session while it holds."""
        today = clock.today().isoformat()
        if request.session.get(_PASSWORD_CHECKED) == today:
            return False
        if password_expired(user):
            return True
        request.session[_PASSWORD_CHECKED] = today
        return False


class PermissionsPolicyMiddleware:
    """`Permissions-Policy` (settings.PERMISSIONS_POLICY) on every response: the camera,
    microphone, location and the rest refused to the page and to anything it embeds (a
    photo is taken through the file picker, which needs none of them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.policy)
        return response


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


# Exceptions Django answers itself under DEBUG too (403 through handler403, 400).
class DatabaseUnavailableMiddleware:
    """A view that fails because the database did not answer (restarted, its connection
    ended) answers 503 with the reason, a page or the API's JSON (carecase.views.
    database_unavailable), under DEBUG too. Last in MIDDLEWARE, so it sees the exception
    first. Errors of the middleware itself reach handler500, which answers the same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, views.DATABASE_DOWN):
            return None
        signals.got_request_exception.send(sender=None, request=request)
        response = views.database_unavailable(request)
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
        return response


DJANGO_ANSWERS = (PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class FriendlyErrorsMiddleware:
    """Under DEBUG, the Chinese 404 and 500 pages rather than Django's technical ones (issue
    15: `make run` users are the first people who see CareCase). Django answers DEBUG's 404
    and uncaught exceptions with its debug pages before the handlers (handler404/500) are
    asked, so this answers them itself: an address no URL pattern matches, and an Http404 or
    an uncaught exception raised by a view. 403 already uses handler403 under DEBUG. Off
    without DEBUG (Django calls the same handlers then) and with DEBUG_TECHNICAL_ERRORS=1."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    @staticmethod
    def active() -> bool:
        return bool(settings.DEBUG and not settings.DEBUG_TECHNICAL_ERRORS)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.active():
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return views.error_404(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not self.active():
            return None
        if isinstance(exc, Http404):
            return views.error_404(request, exc)
        if isinstance(exc, DJANGO_ANSWERS):
            return None  # Django's own answers (403 through handler403, 400)
        signals.got_request_exception.send(sender=None, request=request)
        response = views.error_500(request)
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
        return response
