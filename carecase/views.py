"""Home page per role, health endpoint, and the Chinese error pages."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from django.db import InterfaceError, OperationalError, connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from carecase import readiness
from carecase.selectors import worker_heartbeat
from children.selectors import archive_summary
from core import clock, permissions, scoping
from core.http import AuthenticatedRequest
from core.roles import DATA_ROLES, Role
from org import selectors
from providers import selectors as provider_selectors
from reports.selectors import unacknowledged
from stats.dashboard import village_summaries
from training.gate import rotation_notice
from training.selectors import due_workers
from visits.selectors import work_counts


def home(request: AuthenticatedRequest) -> HttpResponse:
    """One page, a panel per kind of assignment the user holds, each limited to its region."""
    user = request.user
    scope = scoping.get_scope(user)
    today = clock.today()
    context: dict[str, Any] = {"scope": scope, "today": today}
    # The certification gate first (R6): why this person cannot change anything yet.
    context["work_refusal"] = permissions.work_refusal(user)
    if not context["work_refusal"]:
        context["training_notice"] = rotation_notice(user, today)

    villages = scope.regions(Role.CHILD_DIRECTOR)
    if villages:
        contacts = selectors.town_contacts([v.parent for v in villages if v.parent], today)
        context["director_villages"] = [(v, contacts.get(v.parent_id or 0, [])) for v in villages]
        context["village_stats"] = village_summaries(user, villages, today, clock.now())
    if scope.has_role(*DATA_ROLES):
        context["stats_link"] = True

    towns = scope.regions(Role.SUPERVISOR)
    if towns:
        context["supervisor_towns"] = towns
        context["town_villages"] = selectors.villages_overview(user, towns, today)

    districts = scope.regions(Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)
    if districts:
        context["districts"] = districts
        context["district_towns"] = selectors.towns_overview(user, districts, today)

    if scope.has_role(Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE):
        coverage = selectors.coverage_gaps(user, today)
        context["coverage"] = coverage

    if scope.has_role(*DATA_ROLES):
        # Mandatory reports nobody has acknowledged head the page (R17).
        context["unacknowledged_reports"] = list(unacknowledged(user)[:10])
        context["archive"] = archive_summary(user)
        context["visit_work"] = work_counts(user, today)

    if scope.has_role(Role.SUPERVISOR, Role.CIVIL_AFFAIRS):
        context["training_due"] = due_workers(user, today).count()

    if scope.has_role(Role.SERVICE_PROVIDER):
        # A provider's staff: the open referrals to answer (their only reach over children).
        context["provider_inbox"] = provider_selectors.inbox(user).count()

    context["admin_roles"] = [
        a
        for a in scope.assignments
        if a.role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
    ]
    context["worker"] = worker_heartbeat() if context["admin_roles"] else None
    return render(request, "home.html", context)


def menu(request: AuthenticatedRequest) -> HttpResponse:
    """The menu as a page: where the phone's menu button leads when JavaScript does not run
    (Bootstrap's collapse needs it), so every page and signing out stay reachable."""
    return render(request, "menu.html")


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers, and when the worker last ran."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "error"
    beat = worker_heartbeat() if database == "ok" else None
    worker_ok = beat is not None and clock.now() - beat.last_seen < timedelta(minutes=5)
    return JsonResponse(
        {
            "database": database,
            "worker_last_seen": beat.last_seen.isoformat() if beat else None,
            "worker": "ok" if worker_ok else "unknown",
        },
        status=200 if database == "ok" else 503,
    )


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness for load balancers and healthchecks (carecase.readiness): 200 when every
    check is ok (the replica's is advisory), 503 otherwise, with each check's one-word answer."""
    checks = readiness.report()
    ready = readiness.is_ready(checks)
    return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else ""
    if _is_api(request):
        return JsonResponse({"detail": message or _("You may not do this.")}, status=403)
    return render(request, "403.html", {"message": message}, status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # An address the API does not have answers like the API (JSON), as its schema says.
    if _is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


# The database not answering: restarted, its connection ended (pg_terminate_backend), a
# failover. The request's transaction is rolled back by the server; the answer says so.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503: the database did not answer; nothing of the request was kept (README, "Faults").
    The connection that failed is closed, so what follows in this request (the session's
    save) and the next request connect anew."""
    for alias in connections:
        connections[alias].close_if_unusable_or_obsolete()
    message = _(
        "The database did not answer for a moment. Nothing of this request was saved: try "
        "again in a moment."
    )
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(
            loader.get_template("503.html").render({"message": message}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def error_500(request: HttpRequest) -> HttpResponse:
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable(request)
    if _is_api(request):
        return JsonResponse({"detail": _("Server error; it has been logged.")}, status=500)
    # No request context: the database or a context processor may be what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
