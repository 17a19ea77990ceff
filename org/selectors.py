"""Reads over regions, staff and assignments that are more than a filter: coverage (R1), the
per-role overviews on the home page, the staff pages' lists. All start from `visible_to` (or
a scope) and are set-based."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock
from core.regions import Level, prefix_range
from core.roles import TWO_FACTOR_ROLES, Role
from org.models import AdminLogEntry, ApiToken, Assignment, AssignmentQuerySet, Region, User
from org.models_security import TwoFactorPermit


def _active_in(role: str, today: datetime.date) -> QuerySet[Assignment]:
    return Assignment.objects.active(today).filter(role=role, region=OuterRef("pk"))


def _with_holders(role: str, today: datetime.date) -> Prefetch[str, QuerySet[Assignment], str]:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.active(today).filter(role=role).select_related("user"),
        to_attr="holders",
    )


@dataclass
class Coverage:
    villages_without_director: list[Region]
    towns_without_supervisor: list[Region]

    @property
    def gaps(self) -> int:
        return len(self.villages_without_director) + len(self.towns_without_supervisor)


def coverage_gaps(user: User, today: datetime.date | None = None) -> Coverage:
    """R1: villages with no active director and towns with no active supervisor, among the
    regions `user` may see."""
    today = today or clock.today()
    visible = Region.objects.visible_to(user).select_related("parent")
    villages = visible.filter(level=Level.VILLAGE).exclude(
        Exists(_active_in(Role.CHILD_DIRECTOR, today))
    )
    towns = visible.filter(level=Level.TOWN).exclude(Exists(_active_in(Role.SUPERVISOR, today)))
    return Coverage(list(villages), list(towns))


def villages_overview(
    user: User, towns: list[Region], today: datetime.date | None = None
) -> list[Region]:
    """Villages of `towns`, each with `.holders` (active directors)."""
    today = today or clock.today()
    return list(
        Region.objects.visible_to(user)
        .filter(parent__in=towns, level=Level.VILLAGE)
        .select_related("parent")
        .prefetch_related(_with_holders(Role.CHILD_DIRECTOR, today))
    )


def towns_overview(
    user: User, districts: list[Region], today: datetime.date | None = None
) -> list[Region]:
    """Towns of `districts`, each with `.holders` (active supervisors), `.village_count` and
    `.villages_without_director`."""
    today = today or clock.today()
    uncovered = (
        Region.objects.filter(parent=OuterRef("pk"), level=Level.VILLAGE)
        .exclude(Exists(_active_in(Role.CHILD_DIRECTOR, today)))
        .order_by()
        .values("parent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Region.objects.visible_to(user)
        .filter(parent__in=districts, level=Level.TOWN)
        .select_related("parent")
        .annotate(
            village_count=Count("children", filter=Q(children__level=Level.VILLAGE)),
            villages_without_director=Coalesce(Subquery(uncovered), Value(0)),
        )
        .prefetch_related(_with_holders(Role.SUPERVISOR, today))
    )


def town_contacts(
    towns: list[Region], today: datetime.date | None = None
) -> dict[int, list[Assignment]]:
    """Active supervisors of `towns` (a director's contact list), keyed by town id."""
    today = today or clock.today()
    result: dict[int, list[Assignment]] = {t.pk: [] for t in towns}
    for assignment in (
        Assignment.objects.active(today)
        .filter(role=Role.SUPERVISOR, region__in=towns)
        .select_related("user")
    ):
        result[assignment.region_id].append(assignment)
    return result


def staff_serving(
    *,
    roles: Iterable[str],
    codes: Iterable[str] = (),
    prefixes: Iterable[str] = (),
    day: datetime.date | None = None,
    until: datetime.date | None = None,
) -> AssignmentQuerySet:
    """The staff who serve these regions: assignments in `roles` whose region is one of
    `codes` (12-digit, exactly) or lies under one of `prefixes` (a region's code prefix, so a
    district's covers its towns and villages). Those in force on `day` (today by default)
    and held by a person active and in post; with `until`, every assignment in force at some
    time from `day` to `until` (a past year's staff, whoever has left since)."""
    where = Q(region__code__in=list(codes))
    for prefix in prefixes:
        where |= Q(region__code__range=prefix_range(prefix))
    if until is None:
        served = Assignment.objects.active(day)
    else:
        start = day or clock.today()
        served = Assignment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=start), start_date__lte=until
        )
    return served.filter(where, role__in=list(roles))


# The orders the staff list offers (`sort` in its URL).
STAFF_SORTS = {
    "name": ("real_name", "username"),
    "-name": ("-real_name", "-username"),
    "updated": ("updated_at",),
    "-updated": ("-updated_at",),
}


def staff_list(
    user: User, *, query: str = "", role: str = "", status: str = "", sort: str = "name"
) -> QuerySet[User]:
    """The staff `user` may see, with their district and their active assignments
    (`active_assignments`), matching `query` (name, username or phone), holding `role` now and
    in `status`, in the order `sort` names (by name when it names none)."""
    staff = (
        User.objects.visible_to(user)
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.active(clock.today()).select_related("region"),
                to_attr="active_assignments",
            )
        )
        .select_related("managing_district")
    )
    query = query.strip()
    if query:
        staff = staff.filter(
            Q(real_name__icontains=query) | Q(username__icontains=query) | Q(phone=query)
        )
    if role:
        staff = staff.filter(
            Exists(Assignment.objects.active().filter(user=OuterRef("pk"), role=role))
        )
    if status:
        staff = staff.filter(status=status)
    return staff.order_by(*STAFF_SORTS.get(sort, STAFF_SORTS["name"]))


def staff_assignments(staff: User) -> QuerySet[Assignment]:
    """Every assignment of `staff`, past ones included, for the staff page."""
    return staff.assignments.select_related("region", "created_by", "ended_by")


def assignable_regions(scope: Any) -> QuerySet[Region]:
    """The districts, towns and villages inside `scope` (a manager's) that staff can be
    assigned to."""
    return Region.objects.in_scope(scope).filter(
        level__in=[Level.DISTRICT, Level.TOWN, Level.VILLAGE]
    )


def assignment_list(
    user: User, *, user_id: int | None = None, role: str = "", active: bool | None = None
) -> QuerySet[Assignment]:
    """The assignments `user` may see, of the person `user_id`, in `role`, and active today
    (True) or not (False), when given."""
    assignments = Assignment.objects.visible_to(user).select_related("region")
    if user_id is not None:
        assignments = assignments.filter(user_id=user_id)
    if role:
        assignments = assignments.filter(role=role)
    if active is not None:
        active_ids = Assignment.objects.active().values("pk")
        assignments = (
            assignments.filter(pk__in=active_ids)
            if active
            else assignments.exclude(pk__in=active_ids)
        )
    return assignments


def live_tokens() -> QuerySet[ApiToken]:
    """The API tokens not yet expired, with their owners."""
    tokens: QuerySet[ApiToken] = ApiToken.objects.filter(expiry__gt=clock.now())
    return tokens.select_related("user")


def admin_log_entries(*, account: str = "") -> QuerySet[AdminLogEntry]:
    """The administrators' log, newest first (only `account`'s entries when given)."""
    rows = AdminLogEntry.objects.select_related("by").order_by("-at", "-pk")
    if account:
        rows = rows.filter(by_username=account)
    return rows


def two_factor_accounts(*, account: str = "") -> QuerySet[User]:
    """Every account with its second factor, for the security administrator: `enrolled` (a
    confirmed authenticator), `permit_until` (a live enrolment permit's end), `required`
    (holds a role that needs one today: core.roles.TWO_FACTOR_ROLES). Filtered by account
    name or real name; fixed number of queries."""
    now = clock.now()
    today = clock.today()
    rows = User.objects.annotate(
        enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        permit_until=Subquery(
            TwoFactorPermit.objects.filter(
                user=OuterRef("pk"), used_at__isnull=True, expires_at__gt=now
            )
            .order_by("-expires_at")
            .values("expires_at")[:1]
        ),
        required=Exists(
            Assignment.objects.filter(
                Q(end_date__isnull=True) | Q(end_date__gt=today),
                user=OuterRef("pk"),
                start_date__lte=today,
                role__in=TWO_FACTOR_ROLES,
            )
        ),
    ).order_by("-required", "username")
    if account:
        rows = rows.filter(Q(username__icontains=account) | Q(real_name__icontains=account))
    return rows
