"""Access logging (R20): every view of an archive, API detail, export, PDF and attachment."""

from __future__ import annotations

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
