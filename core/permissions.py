"""What a user may do, beside what they may see (core.scoping): the rules of each role, the
administrators' permissions (三员分立) and the certification gate (R6/R7).

The gate's rule lives with the training records (training/gate.py); the foundation reaches it
through the setting WORK_GATE (a dotted path, as Django names its backends), so that this
module imports no app and every write permission below still goes through the one gate.
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.module_loading import import_string

from core.roles import ADMIN_ROLES, DATA_ROLES, TWO_FACTOR_ROLES, Role
from core.scoping import Scope, get_scope, is_administrator, role_scope
from core.text import mask_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from org.models import Region, User


def managed_districts(user: User) -> list[Region]:
    """Districts whose staff and assignments `user` manages (civil-affairs staff)."""
    return get_scope(user).regions(Role.CIVIL_AFFAIRS)


def can_manage_staff(user: User) -> bool:
    return bool(managed_districts(user))


def manages_region(user: User, region: Region) -> bool:
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


def admin_permissions(user: User | AnonymousUser | None) -> frozenset[str]:
    """The admin-site permissions `user` holds through an administrator assignment."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    held: set[str] = set()
    for role in get_scope(user).roles:
        held |= ADMIN_PERMISSIONS.get(role, frozenset())
    return frozenset(held)


def is_system_admin(user: User | AnonymousUser) -> bool:
    """The Django admin (accounts, regions) is for system administrators only."""
    return bool(
        user.is_active and (user.is_superuser or get_scope(user).has_role(Role.SYSTEM_ADMIN))
    )


def may_use_admin_site(user: User | AnonymousUser) -> bool:
    """The system and security administrators (and the break-glass superuser)."""
    return bool(user.is_active and (user.is_superuser or admin_permissions(user)))


def is_security_admin(user: User | AnonymousUser) -> bool:
    return get_scope(user).has_role(Role.SECURITY_ADMIN)


def is_audit_admin(user: User | AnonymousUser) -> bool:
    return get_scope(user).has_role(Role.AUDIT_ADMIN)


def needs_two_factor(user: User | AnonymousUser) -> bool:
    """Whether `user` must sign in with a second factor: the three administrators and district
    staff (core.roles.TWO_FACTOR_ROLES). The break-glass superuser is not held to it (it is
    for the day nobody else can act); it may still enrol one."""
    return get_scope(user).has_role(*TWO_FACTOR_ROLES)


def password_ages(user: User | AnonymousUser) -> bool:
    """Whether `user`'s password has a maximum age (PASSWORD_MAX_AGE_DAYS): administrators."""
    return get_scope(user).has_role(*ADMIN_ROLES)


class SystemAdminBackend:
    """Gives the admin roles the model permissions listed in ADMIN_PERMISSIONS, derived from
    assignments, so no group or flag has to be kept in sync with them."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user_obj: User | AnonymousUser, perm: str, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return perm in admin_permissions(user_obj)

    def has_module_perms(self, user_obj: User | AnonymousUser, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in admin_permissions(user_obj))


def managed_scope(user: User) -> Scope:
    """The part of `user`'s scope they administer as civil-affairs staff."""
    return role_scope(user, Role.CIVIL_AFFAIRS)


# --- The certification gate (R6/R7) --------------------------------------------------------


class WorkGate(Protocol):
    def __call__(
        self,
        user: User | AnonymousUser | None,
        today: datetime.date | None = None,
        *,
        mandatory_report: bool = False,
    ) -> str | None: ...


@cache
def _work_gate() -> WorkGate:
    gate: WorkGate = import_string(settings.WORK_GATE)
    return gate


def work_refusal(
    user: User | AnonymousUser | None,
    today: datetime.date | None = None,
    *,
    mandatory_report: bool = False,
) -> str | None:
    """Why `user` may not create or change work (untrained, or lapsed where the district
    blocks it), naming whom to contact; None when they may. The rule lives in
    training/gate.py (settings.WORK_GATE); every write permission below goes through it.

    `mandatory_report=True` is the exception of R6: a mandatory report is never blocked, so the
    reporting path (issue 5) passes it, or does not ask the gate at all.
    """
    return _work_gate()(user, today, mandatory_report=mandatory_report)


def require_work(user: User, *, mandatory_report: bool = False) -> None:
    """Raise PermissionDenied with the gate's explanation when `user` may not work. DRF turns
    Django's PermissionDenied into a 403 with the same message, so pages and the API share it."""
    refusal = work_refusal(user, mandatory_report=mandatory_report)
    if refusal:
        raise PermissionDenied(refusal)


# --- The child archive ---------------------------------------------------------------------


def can_edit_archives(user: User) -> bool:
    """Registering and changing children: village directors and district civil affairs.
    Supervisors review; they add notes, referrals and assistance but do not rewrite archives.
    Nobody the certification gate refuses."""
    return get_scope(user).has_role(Role.CHILD_DIRECTOR, Role.CIVIL_AFFAIRS) and not (
        work_refusal(user)
    )


def can_add_records(user: User) -> bool:
    """Assistance, referrals, work-log notes, problems and attachments: every data role,
    except people the certification gate refuses."""
    return get_scope(user).has_role(*DATA_ROLES) and not work_refusal(user)


def can_import_rosters(user: User) -> bool:
    return get_scope(user).has_role(Role.CIVIL_AFFAIRS)


def can_merge_children(user: User) -> bool:
    """The district's list of likely duplicates and merging two archives of the same child
    (一人一档): district civil-affairs staff who edit archives, nobody the gate refuses."""
    return can_edit_archives(user) and any(
        len(region.prefix) <= 6 for region in role_scope(user, Role.CIVIL_AFFAIRS).regions()
    )


def can_view_identifier(user: User) -> bool:
    return not is_administrator(user) and bool(user.has_perm("children.view_identifier"))


def can_export_identifier(user: User) -> bool:
    return not is_administrator(user) and bool(user.has_perm("children.export_identifier"))


# --- Family members' phone numbers (issue 19, personal data) --------------------------------


def can_view_phone(user: User, region_code: str) -> bool:
    """Whether `user` reads the phone numbers of a child's family (the parents', the
    guardian's, the entrusted carer's) in full, on pages, the dossier and the API: the child
    director of the child's village (`region_code`), who phones the carer (that is the job),
    and whoever may see full ID numbers (`children.view_identifier`). Supervisors, district
    staff and service providers read them masked (138****5678) unless they hold that
    permission; the administrators never reach them (三员分立). Exports follow the ID
    numbers' export permission (`can_export_identifier`) for phones too
    (children.roster_writing), whoever exports."""
    if is_administrator(user):
        return False
    # The director's own village first: no query (the scope is cached for the request).
    return role_scope(user, Role.CHILD_DIRECTOR).covers(region_code) or can_view_identifier(user)


def phone_as_seen(user: User, region_code: str, number: str) -> str:
    """`number`, a phone of the family of a child of `region_code`, as `user` may read it:
    in full or masked (core.text.mask_phone), by `can_view_phone`."""
    if not number or can_view_phone(user, region_code):
        return number or ""
    return mask_phone(number)


def archive_scope(user: User) -> Scope:
    """Where `user` may register or move a child: the scope of the roles that edit archives
    (the villages themselves: `Region.objects.villages_in(archive_scope(user))`)."""
    return role_scope(user, Role.CHILD_DIRECTOR, Role.CIVIL_AFFAIRS)


def audit_scope(user: User) -> Scope:
    """The regions whose access log an audit administrator reads (三员分立: they read who
    did what, never the archives themselves)."""
    return role_scope(user, Role.AUDIT_ADMIN)
