from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from org.models import User


class _Unread:
    """The unread count, queried once and only if a template shows it."""

    def __init__(self, user: User) -> None:
        self._user = user

    @cached_property
    def count(self) -> int:
        from notifications.models import Notification

        return Notification.objects.filter(recipient=self._user, read_at__isnull=True).count()


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": _Unread(user)}
