from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core import permissions, scoping
from core.roles import DATA_ROLES, Role
from org.models import User


def scope(request: HttpRequest) -> dict[str, Any]:
    """Lazily expose the user's scope to templates (roles drive the navigation)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_scope": _LazyScope(user),
    }


class _LazyScope:
    def __init__(self, user: User) -> None:
        self._user = user

    def _scope(self) -> scoping.Scope:
        return scoping.get_scope(self._user)

    @property
    def roles(self) -> frozenset[str]:
        return self._scope().roles

    @property
    def can_manage_staff(self) -> bool:
        return permissions.can_manage_staff(self._user)

    @property
    def can_see_coverage(self) -> bool:
        return self._scope().has_role(Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)

    @property
    def sees_children(self) -> bool:
        return self._scope().has_role(*DATA_ROLES)

    @property
    def is_audit_admin(self) -> bool:
        return self._scope().has_role(Role.AUDIT_ADMIN)

    @property
    def is_system_admin(self) -> bool:
        return permissions.may_use_admin_site(self._user)

    @property
    def is_security_admin(self) -> bool:
        return permissions.is_security_admin(self._user)

    @property
    def uses_api(self) -> bool:
        """Whether the menu links the API's documentation (issue 15): for security
        administrators (they manage the tokens), or for everyone with API_DOCS_IN_MENU=1. A
        person who holds a token finds the link on "My devices", beside the tokens (asking
        here would cost every page a query)."""
        return bool(settings.API_DOCS_IN_MENU) or permissions.is_security_admin(self._user)
