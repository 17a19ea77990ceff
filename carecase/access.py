"""The one scoping module: what a user may see.

A user's active assignments become a filter over region-code prefixes (a district sees every
code that starts with its 6 digits, a town its 9, a village its 12). Querysets get
`visible_to(user)` from `ScopedQuerySet`; explicit per-object grants (django-guardian
`view_<model>` object permissions) add the rare object shared outside the region. No active
assignment means nothing is visible. Out of scope is a 404 (`get_visible_or_404`), never a 403
that would confirm the object exists.

Every view, API endpoint, export, dashboard and task reaches region-scoped data through here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

if TYPE_CHECKING:
    from org.models import Assignment, Region

_M = TypeVar("_M", bound=models.Model)
_SCOPE_CACHE = "_carecase_scope"
_GRANT_CACHE = "_carecase_grants"


def _collapse(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Drop prefixes covered by a shorter one (a town inside an assigned district)."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes), key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return tuple(sorted(kept))


@dataclass(frozen=True)
class Scope:
    """A user's reach on one day: data prefixes and the roles held."""

    assignments: tuple[Assignment, ...] = ()
    prefixes: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)

    def q(self, code_field: str) -> Q:
        """A filter selecting rows whose 12-digit region code in `code_field` is in scope."""
        from org.regions import prefix_range

        if not self.prefixes:
            return Q(pk__in=[])  # matches nothing, and Django skips the query entirely
        condition = Q()
        for prefix in self.prefixes:
            condition |= Q(**{f"{code_field}__range": prefix_range(prefix)})
        return condition

    def covers(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.prefixes)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def regions(self, *roles: str) -> list[Region]:
        """The regions of active assignments, optionally only for `roles`."""
        seen: dict[int, Region] = {}
        for assignment in self.assignments:
            if not roles or assignment.role in roles:
                seen.setdefault(assignment.region_id, assignment.region)
        return list(seen.values())


EMPTY_SCOPE = Scope()


def get_scope(user: Any, today: datetime.date | None = None) -> Scope:
    """The scope of `user` today (cached on the user object for the request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cacheable = today is None
    if cacheable and hasattr(user, _SCOPE_CACHE):
        return getattr(user, _SCOPE_CACHE)
    from org.models import ADMIN_ROLES, DATA_ROLES, Assignment

    assignments = tuple(
        Assignment.objects.active(today).filter(user=user).select_related("region__parent")
    )
    roles = frozenset(a.role for a in assignments)
    # 三员分立 by construction: an administrator (or the break-glass superuser) reaches no
    # case data, whatever other assignment was recorded for them.
    sees_data = not user.is_superuser and not roles.intersection(ADMIN_ROLES)
    scope = Scope(
        assignments=assignments,
        prefixes=_collapse(a.region.prefix for a in assignments if a.role in DATA_ROLES)
        if sees_data
        else (),
        roles=roles,
    )
    if cacheable:
        setattr(user, _SCOPE_CACHE, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after the user's assignments change within one request)."""
    for attr in (_SCOPE_CACHE, _GRANT_CACHE, "_carecase_training_status"):
        if hasattr(user, attr):
            delattr(user, attr)


def granted_pks(user: Any, model: type[models.Model]) -> list[Any]:
    """Primary keys of `model` objects explicitly shared with `user` (guardian view perms)."""
    if user is None or not user.is_authenticated:
        return []
    cache: dict[str, list[Any]] = getattr(user, _GRANT_CACHE, None) or {}
    label = model._meta.label_lower
    if label not in cache:
        from django.contrib.contenttypes.models import ContentType
        from guardian.models import UserObjectPermission

        raw = UserObjectPermission.objects.filter(
            user_id=user.pk,
            content_type=ContentType.objects.get_for_model(model),
            permission__codename=f"view_{model._meta.model_name}",
        ).values_list("object_pk", flat=True)
        cache[label] = [model._meta.pk.to_python(pk) for pk in raw]
        setattr(user, _GRANT_CACHE, cache)
    return cache[label]


class ScopedQuerySet(models.QuerySet[_M]):
    """A queryset whose rows belong to a region: `scope_field` names the 12-digit code."""

    scope_field: ClassVar[str]

    def scope_filter(self, scope: Scope) -> Q:
        return scope.q(self.scope_field)

    def visible_to(self, user: Any) -> Self:
        scope = get_scope(user)
        condition = self.scope_filter(scope)
        granted = granted_pks(user, self.model) if scope.prefixes or not _is_admin(user) else []
        if granted:
            condition |= Q(pk__in=granted)
        return self.filter(condition)


def get_visible_or_404(queryset: ScopedQuerySet[_M], user: Any, **lookup: Any) -> _M:
    """The object matching `lookup` among those `user` may see; 404 whether it is out of scope
    or does not exist."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # ValidationError: a malformed key (a UUID that is not one) is "does not exist" too.
        raise Http404 from exc


# --- What a user may do (beside what they may see) ----------------------------------------


def managed_districts(user: Any) -> list[Region]:
    """Districts whose staff and assignments `user` manages (civil-affairs staff)."""
    from org.models import Role

    return get_scope(user).regions(Role.CIVIL_AFFAIRS)


def can_manage_staff(user: Any) -> bool:
    return bool(managed_districts(user))


def manages_region(user: Any, region: Region) -> bool:
    return any(region.code.startswith(d.prefix) for d in managed_districts(user))


# What each administrator may do in the Django admin (三员分立). The system administrator
# keeps accounts and regions; the security administrator roles and assignments (and API
# tokens and lockouts, on pages of their own); the audit administrator only reads logs, on
# pages of their own. Nothing here reaches children's data, groups or object permissions.
ADMIN_PERMISSIONS: dict[str, frozenset[str]] = {
    "system_admin": frozenset(
        {
            "org.view_user",
            "org.add_user",
            "org.change_user",
            "org.view_region",
            "org.add_region",
            "org.change_region",
            "notifications.view_reminder",
            "notifications.view_delivery",
            "carecase.view_workerheartbeat",
        }
    ),
    "security_admin": frozenset(
        {"org.view_assignment", "org.add_assignment", "org.change_assignment"}
    ),
    "audit_admin": frozenset(),
}


def admin_permissions(user: Any) -> frozenset[str]:
    """The admin-site permissions `user` holds through an administrator assignment."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    held: set[str] = set()
    for role in get_scope(user).roles:
        held |= ADMIN_PERMISSIONS.get(role, frozenset())
    return frozenset(held)


def _is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or holds_admin_role(user)


def holds_admin_role(user: Any) -> bool:
    from org.models import ADMIN_ROLES

    return get_scope(user).has_role(*ADMIN_ROLES)


def is_administrator(user: Any) -> bool:
    """An administrator (system, security, audit) or the break-glass superuser."""
    return _is_admin(user)


def is_system_admin(user: Any) -> bool:
    """The Django admin (accounts, regions) is for system administrators only."""
    from org.models import Role

    return bool(
        user.is_active and (user.is_superuser or get_scope(user).has_role(Role.SYSTEM_ADMIN))
    )


def may_use_admin_site(user: Any) -> bool:
    """The system and security administrators (and the break-glass superuser)."""
    return bool(user.is_active and (user.is_superuser or admin_permissions(user)))


def is_security_admin(user: Any) -> bool:
    from org.models import Role

    return get_scope(user).has_role(Role.SECURITY_ADMIN)


def is_audit_admin(user: Any) -> bool:
    from org.models import Role

    return get_scope(user).has_role(Role.AUDIT_ADMIN)


class SystemAdminBackend:
    """Gives the admin roles the model permissions listed in ADMIN_PERMISSIONS, derived from
    assignments, so no group or flag has to be kept in sync with them."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return perm in admin_permissions(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in admin_permissions(user_obj))


def managed_scope(user: Any) -> Scope:
    """The part of `user`'s scope they administer as civil-affairs staff."""
    return Scope(prefixes=_collapse(d.prefix for d in managed_districts(user)))


# --- The certification gate (R6/R7) --------------------------------------------------------


def work_refusal(
    user: Any, today: datetime.date | None = None, *, mandatory_report: bool = False
) -> str | None:
    """Why `user` may not create or change work (untrained, or lapsed where the district
    blocks it), naming whom to contact; None when they may. The rule lives in
    training/gate.py; every write permission below goes through it.

    `mandatory_report=True` is the exception of R6: a mandatory report is never blocked, so the
    reporting path (issue 5) passes it, or does not ask the gate at all.
    """
    from training.gate import work_refusal as _work_refusal

    return _work_refusal(user, today, mandatory_report=mandatory_report)


def require_work(user: Any, *, mandatory_report: bool = False) -> None:
    """Raise PermissionDenied with the gate's explanation when `user` may not work. DRF turns
    Django's PermissionDenied into a 403 with the same message, so pages and the API share it."""
    from django.core.exceptions import PermissionDenied

    refusal = work_refusal(user, mandatory_report=mandatory_report)
    if refusal:
        raise PermissionDenied(refusal)


# --- The child archive ---------------------------------------------------------------------


def can_edit_archives(user: Any) -> bool:
    """Registering and changing children: village directors and district civil affairs.
    Supervisors review; they add notes, referrals and assistance but do not rewrite archives.
    Nobody the certification gate refuses."""
    from org.models import Role

    return get_scope(user).has_role(Role.CHILD_DIRECTOR, Role.CIVIL_AFFAIRS) and not (
        work_refusal(user)
    )


def can_add_records(user: Any) -> bool:
    """Assistance, referrals, work-log notes, problems and attachments: every data role,
    except people the certification gate refuses."""
    from org.models import DATA_ROLES

    return get_scope(user).has_role(*DATA_ROLES) and not work_refusal(user)


def can_import_rosters(user: Any) -> bool:
    from org.models import Role

    return get_scope(user).has_role(Role.CIVIL_AFFAIRS)


def can_view_identifier(user: Any) -> bool:
    return not _is_admin(user) and bool(user.has_perm("children.view_identifier"))


def can_export_identifier(user: Any) -> bool:
    return not _is_admin(user) and bool(user.has_perm("children.export_identifier"))


def archive_villages(user: Any) -> models.QuerySet[Region]:
    """Villages where `user` may register or move a child: inside the scope of the roles
    that edit archives."""
    from org.models import Region, Role
    from org.regions import Level

    scope = get_scope(user)
    prefixes = _collapse(
        a.region.prefix
        for a in scope.assignments
        if a.role in (Role.CHILD_DIRECTOR, Role.CIVIL_AFFAIRS)
    )
    return Region.objects.filter(Scope(prefixes=prefixes).q("code"), level=Level.VILLAGE)


def audit_scope(user: Any) -> Scope:
    """The regions whose access log an audit administrator reads (三员分立: they read who
    did what, never the archives themselves)."""
    from org.models import Role

    return Scope(prefixes=_collapse(r.prefix for r in get_scope(user).regions(Role.AUDIT_ADMIN)))
