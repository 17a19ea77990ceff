"""The one scoping module: what a user may see.

A user's active assignments become a filter over region-code prefixes (a district sees every
code that starts with its 6 digits, a town its 9, a village its 12). Querysets get
`visible_to(user)` from `ScopedQuerySet`; explicit per-object grants (django-guardian
`view_<model>` object permissions) add the rare object shared outside the region. No active
assignment means nothing is visible. Out of scope is a 404 (`get_visible_or_404`), never a 403
that would confirm the object exists.

Every view, API endpoint, export, dashboard and task reaches region-scoped data through here.
Scopes limited to some of a user's roles (`role_scope`) are built here too, never by hand.

The foundation imports no app: a user's assignments are read through the `assignments`
relation of the user model (org.Assignment, whose queryset has `active(day)`).
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

from core.regions import prefix_range
from core.roles import ADMIN_ROLES, DATA_ROLES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from org.models import Assignment, Region, User

_M = TypeVar("_M", bound=models.Model)
_SCOPE_CACHE = "_carecase_scope"
_GRANT_CACHE = "_carecase_grants"


def collapse(prefixes: Iterable[str]) -> tuple[str, ...]:
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

    @classmethod
    def of_prefixes(cls, prefixes: Iterable[str]) -> Scope:
        """The reach of `prefixes` held by nobody: no assignments, no roles (a task's reach
        over every district, say)."""
        return cls(prefixes=collapse(prefixes))

    def q(self, code_field: str) -> Q:
        """A filter selecting rows whose 12-digit region code in `code_field` is in scope."""

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


def get_scope(user: User | AnonymousUser | None, today: datetime.date | None = None) -> Scope:
    """The scope of `user` today (cached on the user object for the request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cacheable = today is None
    if cacheable and hasattr(user, _SCOPE_CACHE):
        cached: Scope = getattr(user, _SCOPE_CACHE)
        return cached
    assignments = tuple(user.assignments.active(today).select_related("region__parent"))
    roles = frozenset(a.role for a in assignments)
    # 三员分立 by construction: an administrator (or the break-glass superuser) reaches no
    # case data, whatever other assignment was recorded for them.
    sees_data = not user.is_superuser and not roles.intersection(ADMIN_ROLES)
    scope = Scope(
        assignments=assignments,
        prefixes=collapse(a.region.prefix for a in assignments if a.role in DATA_ROLES)
        if sees_data
        else (),
        roles=roles,
    )
    if cacheable:
        setattr(user, _SCOPE_CACHE, scope)
    return scope


def forget_scope(user: User) -> None:
    """Drop the cached scope (after the user's assignments change within one request)."""
    # Everything cached on the user for the request under the `_carecase_` prefix: the scope,
    # the grants and what other rules derived from them (the training gate's status).
    for attr in [a for a in vars(user) if a.startswith("_carecase_")]:
        delattr(user, attr)


def granted_pks(user: User | AnonymousUser | None, model: type[models.Model]) -> list[Any]:
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

    def in_scope(self, scope: Scope) -> Self:
        """The rows in `scope`'s regions, without per-object grants: for figures and
        aggregates, where an object shared outside its region must not count."""
        return self.filter(self.scope_filter(scope))

    def visible_to(self, user: User | AnonymousUser | None) -> Self:
        scope = get_scope(user)
        condition = self.scope_filter(scope)
        granted = (
            granted_pks(user, self.model) if scope.prefixes or not is_administrator(user) else []
        )
        if granted:
            condition |= Q(pk__in=granted)
        return self.filter(condition)


def visible_q(user: User, model: type[models.Model], *, code_field: str, pk_field: str) -> Q:
    """A filter, for rows related to `model` objects, selecting those whose object `user` may
    see: in the region scope (`code_field`) or explicitly granted (`pk_field` among the
    guardian `view_<model>` grants, as a subquery: no extra query)."""
    from django.db.models import IntegerField
    from django.db.models.functions import Cast
    from guardian.models import UserObjectPermission

    granted = (
        UserObjectPermission.objects.filter(
            user_id=user.pk,
            content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
            permission__codename=f"view_{model._meta.model_name}",
        )
        .annotate(object_key=Cast("object_pk", IntegerField()))
        .values("object_key")
    )
    return get_scope(user).q(code_field) | Q(**{f"{pk_field}__in": granted})


def get_visible_or_404(queryset: ScopedQuerySet[_M], user: User, **lookup: Any) -> _M:
    """The object matching `lookup` among those `user` may see; 404 whether it is out of scope
    or does not exist."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # ValidationError: a malformed key (a UUID that is not one) is "does not exist" too.
        raise Http404 from exc


def role_scope(user: User, *roles: str) -> Scope:
    """The part of `user`'s scope they hold through `roles` (e.g. the villages where they
    edit archives as director or civil affairs, the districts they administer)."""
    scope = get_scope(user)
    return Scope(
        assignments=tuple(a for a in scope.assignments if a.role in roles),
        prefixes=collapse(a.region.prefix for a in scope.assignments if a.role in roles),
        roles=scope.roles.intersection(roles),
    )


def is_administrator(user: User | AnonymousUser | None) -> bool:
    """An administrator (system, security, audit) or the break-glass superuser: they reach
    no case data (三员分立)."""
    return bool(getattr(user, "is_superuser", False)) or get_scope(user).has_role(*ADMIN_ROLES)
