"""Writes on staff and assignments. Each is one transaction; views and the API call these."""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import clock, permissions, scoping
from core.regions import Level
from core.roles import Role
from org import separation, tokens
from org.models import DISTRICT_GRANTABLE_ROLES, Assignment, Region, StaffStatus, User


def generate_password(length: int = 12) -> str:
    """A random password meeting the validators: all four character classes present."""
    # No look-alike characters (0/O, 1/l/I): people read these aloud or copy them by hand.
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789" + "@#%+=?"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        try:
            validate_password(candidate)
        except ValidationError:
            continue
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


def _require_district_manager(by: User, district: Region) -> None:
    if district.level != Level.DISTRICT or not permissions.manages_region(by, district):
        raise ValidationError(
            {"managing_district": _("You can only manage staff of your own district.")}
        )


def _refuse_administrator(staff: User) -> None:
    if separation.is_administrator_account(staff):
        raise PermissionDenied(_("Administrators' accounts are not managed by district staff."))


@transaction.atomic
def staff_create(
    *,
    by: User,
    district: Region,
    username: str,
    real_name: str,
    phone: str = "",
    position: str = "",
    appointed_on: datetime.date | None = None,
    email: str = "",
) -> tuple[User, str]:
    """Create a staff member kept by `district`; returns the user and a one-time password
    that must be changed at first sign-in."""
    _require_district_manager(by, district)
    password = generate_password()
    user = User(
        username=username,
        real_name=real_name,
        phone=phone,
        position=position,
        appointed_on=appointed_on,
        email=email,
        managing_district=district,
        must_change_password=True,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user, password


@transaction.atomic
def staff_update(*, by: User, staff: User, **fields: object) -> User:
    allowed = {"real_name", "phone", "position", "appointed_on", "email", "status"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Cannot update {sorted(unknown)}")
    _refuse_administrator(staff)
    if staff.pk == by.pk and fields.get("status", staff.status) != StaffStatus.ACTIVE:
        raise ValidationError({"status": _("You cannot suspend your own account.")})
    for name, value in fields.items():
        setattr(staff, name, value)
    staff.full_clean()
    staff.save()
    return staff


@transaction.atomic
def assignment_create(
    *,
    by: User,
    user: User,
    region: Region,
    role: str,
    start_date: datetime.date,
) -> Assignment:
    """Assign `user` to `region` in `role`, on the authority of `by` (civil-affairs staff of the
    district that contains the region)."""
    if role not in DISTRICT_GRANTABLE_ROLES:
        raise ValidationError({"role": _("This role is granted by the security administrator.")})
    if not permissions.manages_region(by, region):
        raise ValidationError({"region": _("You can only assign regions inside your district.")})
    separation.check_assignment(by=by, user=user, role=role)
    assignment = Assignment(
        user=user, region=region, role=role, start_date=start_date, created_by=by
    )
    assignment.full_clean()
    # Lock the person's assignments so two submissions cannot both pass the overlap check.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    overlapping = Assignment.objects.filter(user=user, region=region, role=role).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=start_date)
    )
    if overlapping.exists():
        raise ValidationError(
            _("%(user)s already holds this role in %(region)s.") % {"user": user, "region": region}
        )
    assignment.save()
    scoping.forget_scope(user)
    return assignment


@transaction.atomic
def assignment_end(
    *,
    by: User,
    assignment: Assignment,
    end_date: datetime.date | None = None,
    reason: str,
) -> Assignment:
    """End an assignment on `end_date` (today by default). The row stays as history."""
    end_date = end_date or clock.today()
    if not permissions.manages_region(by, assignment.region):
        raise ValidationError(_("You can only end assignments inside your district."))
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.end_date is not None:
        raise ValidationError(
            _("This assignment already ends on %(date)s.") % {"date": date_format(locked.end_date)}
        )
    if not reason.strip():
        raise ValidationError({"end_reason": _("Give a reason for ending the assignment.")})
    if end_date < locked.start_date:
        raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
    locked.end_date = end_date
    locked.end_reason = reason.strip()
    locked.ended_by = by
    locked.save(update_fields=["end_date", "end_reason", "ended_by"])
    # A device signed in under the old assignment signs in again.
    tokens.revoke_all(locked.user)
    scoping.forget_scope(locked.user)
    return locked


__all__ = [
    "Role",
    "assignment_create",
    "assignment_end",
    "generate_password",
    "staff_create",
    "staff_update",
]


@transaction.atomic
def staff_reset_password(*, by: User, staff: User) -> str:
    """Give `staff` a new one-time password (to change at next sign-in) and return it."""
    _refuse_administrator(staff)
    if staff.managing_district is None or not permissions.manages_region(
        by, staff.managing_district
    ):
        raise PermissionDenied(_("Only the district that keeps this record can reset it."))
    password = generate_password()
    staff.set_password(password)
    staff.must_change_password = True
    staff.save(update_fields=["password", "must_change_password"])
    return password
