"""三员分立: the rules that keep the administrators away from case data, in one place.

- None of the system, security and audit administrators holds a data role, and nobody who
  holds a data role is made an administrator.
- Nobody grants, changes or ends their own assignments.
- Nobody is made a superuser except from the command line (`manage.py createsuperuser`), and a
  superuser holds no assignment.
- District staff manage their district's workers, never an administrator (see
  `org.models.UserQuerySet`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from core import clock
from core.roles import ADMIN_ROLES, CASE_ROLES
from org.models import Assignment, User


def current_roles(user: User, exclude: Assignment | None = None) -> set[str]:
    """Roles `user` holds now or from a future start (not yet ended)."""
    today = clock.today()
    rows = Assignment.objects.filter(user=user).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=today)
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return set(rows.values_list("role", flat=True))


def is_administrator_account(user: User) -> bool:
    return user.is_superuser or bool(current_roles(user) & ADMIN_ROLES)


def check_assignment(
    *, by: User, user: User, role: str, existing: Assignment | None = None
) -> None:
    """Raise ValidationError when `by` may not give (or change) `role` for `user`."""
    if user.pk == by.pk:
        raise ValidationError(_("Nobody changes their own roles."))
    if user.is_superuser:
        raise ValidationError(_("The break-glass superuser holds no role."))
    held = current_roles(user, exclude=existing)
    if role in CASE_ROLES and held & ADMIN_ROLES:
        raise ValidationError(_("An administrator cannot hold a role that sees children's data."))
    if role in ADMIN_ROLES and held & CASE_ROLES:
        raise ValidationError(
            _("Someone who works with children's data cannot be made an administrator.")
        )
    if role in ADMIN_ROLES and (held & ADMIN_ROLES) - {role}:
        raise ValidationError(
            _("The system, security and audit administrators are three different people.")
        )
