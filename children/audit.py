"""Access logging (R20): every view of an archive, API detail, export, PDF and attachment."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from children.models import AccessLog, Child


def client_ip(request: HttpRequest) -> str | None:
    """The client address as django-axes resolved it (honouring AXES_PROXY_COUNT)."""
    ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return ip or None


def log_access(
    request: HttpRequest,
    action: str,
    *,
    child: Child | None = None,
    scope: str = "",
    row_count: int = 0,
) -> AccessLog:
    user = request.user
    return AccessLog.objects.create(
        user=user if user.is_authenticated else None,
        action=action,
        child=child,
        scope=scope[:300],
        row_count=row_count if child is None else 1,
        ip=client_ip(request),
    )


def log_access_each(request: HttpRequest, action: str, children: Iterable[int]) -> int:
    """One row per child (by id), as `log_access` writes for one: a device's download of many
    archives is as many views. One INSERT, whatever the number of children."""
    user = request.user
    ip = client_ip(request)
    rows = [
        AccessLog(
            user=user if user.is_authenticated else None,
            action=action,
            child_id=pk,
            row_count=1,
            ip=ip,
        )
        for pk in children
    ]
    return len(AccessLog.objects.bulk_create(rows))
