"""Reads of the training app, all starting from the scoping module.

Training files (培训档案) are visible to: the person themselves; a town's supervisor for the
child directors of the town's villages; district civil affairs for every supervisor and
director of the district. Anyone else gets a 404.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.http import Http404

from core import clock, scoping
from core.calendar import pct
from core.regions import Level, town_prefix
from core.roles import Role
from org.models import Assignment, AssignmentQuerySet, Region, User
from org.selectors import staff_serving
from training.models import Attendance, Course, Result, Session, TrainingStatus

WORKER_ROLES = (Role.CHILD_DIRECTOR, Role.SUPERVISOR)


def _served_by(viewer: User, today: datetime.date | None = None) -> AssignmentQuerySet:
    """The assignments that make a worker's file visible to `viewer`: the directors and
    supervisors of a civil-affairs district, the directors of a supervisor's town."""
    districts = scoping.role_scope(viewer, Role.CIVIL_AFFAIRS).prefixes
    towns = scoping.role_scope(viewer, Role.SUPERVISOR).prefixes
    return staff_serving(roles=WORKER_ROLES, prefixes=districts, day=today) | staff_serving(
        roles=[Role.CHILD_DIRECTOR], prefixes=towns, day=today
    )


def can_see_files(viewer: User) -> bool:
    return scoping.get_scope(viewer).has_role(Role.CIVIL_AFFAIRS, Role.SUPERVISOR)


def workers_for(viewer: User, today: datetime.date | None = None) -> QuerySet[User]:
    """Supervisors and directors (with an active assignment) whose files `viewer` sees."""
    assigned = _served_by(viewer, today).filter(user=OuterRef("pk"))
    return User.objects.filter(Exists(assigned))


def file_owner_or_404(viewer: User, user_id: int) -> User:
    """The worker whose training file `viewer` asks for; 404 when out of scope."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if viewer.is_authenticated and viewer.pk == user_id:
        return User.objects.select_related("managing_district").get(pk=user_id)
    owner = workers_for(viewer).select_related("managing_district").filter(pk=user_id).first()
    if owner is None:
        raise Http404
    return owner


@dataclass
class TrainingFile:
    person: User
    status: TrainingStatus | None
    assignments: list[Assignment]
    rows: list[dict[str, Any]] = field(default_factory=list)


def training_file(person: User) -> TrainingFile:
    """Every session the person was invited to or attended, with attendance and result;
    a fixed number of queries."""
    status = TrainingStatus.objects.filter(user=person).first()
    sessions = (
        Session.objects.filter(
            Q(invitees=person) | Q(attendance__user=person) | Q(results__user=person)
        )
        .distinct()
        .select_related("course", "region")
        .prefetch_related(
            Prefetch("attendance", Attendance.objects.filter(user=person), to_attr="mine"),
            Prefetch("results", Result.objects.filter(user=person), to_attr="my_results"),
        )
        .order_by("date", "pk")
    )
    rows = []
    for session in sessions:
        attendance = session.mine[0] if session.mine else None  # type: ignore[attr-defined]
        result = session.my_results[0] if session.my_results else None  # type: ignore[attr-defined]
        rows.append({"session": session, "attendance": attendance, "result": result})
    assignments = list(Assignment.objects.active().filter(user=person).select_related("region"))
    return TrainingFile(person=person, status=status, assignments=assignments, rows=rows)


def session_rows_q(viewer: User) -> Q:
    """Attendance and result rows `viewer` may read: every row of sessions organised in their
    scope; only their own in a session they were merely invited to."""
    in_scope = Session.objects.in_scope(scoping.get_scope(viewer))
    return Q(session__in=in_scope) | Q(user_id=viewer.pk)


def sessions_for(viewer: User) -> QuerySet[Session]:
    return (
        Session.objects.visible_to(viewer)
        .select_related("course", "region", "organised_by")
        .annotate(
            invited_count=Count("invitees", distinct=True),
            passed_count=Count("results", filter=Q(results__passed=True), distinct=True),
        )
    )


def due_workers(viewer: User, today: datetime.date | None = None) -> QuerySet[TrainingStatus]:
    """Workers in `viewer`'s reach whose annual training is due within 30 days or lapsed."""
    today = today or clock.today()
    return (
        TrainingStatus.objects.filter(
            user__in=workers_for(viewer, today), renewal_flag_on__lte=today
        )
        .select_related("user", "user__managing_district")
        .order_by("renewal_due_on", "user__real_name")
    )


# --- District coverage for the year (R7) ---------------------------------------------------


@dataclass
class Positions:
    """The posts R1 asks for: a child director per village, a supervisor per town. `vacant`
    are those nobody holds today; `trained` those held by someone who passed this year."""

    positions: int = 0
    vacant: int = 0
    trained: int = 0

    @property
    def filled(self) -> int:
        return self.positions - self.vacant

    @property
    def trained_pct(self) -> float | None:
        """Share of the posts held by a worker trained this year, in percent (one decimal);
        None when there is no post to fill."""
        return pct(self.trained, self.positions)

    @property
    def trained_pct_label(self) -> str:
        share = self.trained_pct
        return "—" if share is None else f"{share:g}%"

    def add(self, *, filled: bool, trained: bool) -> None:
        self.positions += 1
        self.vacant += 0 if filled else 1
        self.trained += 1 if trained else 0


@dataclass
class TownCoverage:
    town: Region
    workers: int = 0
    trained: int = 0
    untrained: list[Assignment] = field(default_factory=list)
    posts: Positions = field(default_factory=Positions)

    @property
    def share(self) -> float | None:
        """Share of the appointed workers trained this year; None when nobody is appointed."""
        return self.trained / self.workers if self.workers else None


@dataclass
class DistrictCoverage:
    district: Region
    year: int
    workers: int = 0
    trained: int = 0
    towns: list[TownCoverage] = field(default_factory=list)
    posts: Positions = field(default_factory=Positions)

    @property
    def share(self) -> float | None:
        return self.trained / self.workers if self.workers else None


def coverage(district: Region, year: int, today: datetime.date | None = None) -> DistrictCoverage:
    """Share of the district's supervisors and directors who passed an assessment in `year`,
    by town, with those not yet trained; and the posts R1 asks for (a director per village, a
    supervisor per town) with those vacant and those held by someone trained this year. Four
    queries whatever the district's size."""
    today = today or clock.today()
    passed_this_year = Exists(
        Result.objects.filter(user=OuterRef("user"), passed=True, assessed_on__year=year)
    )
    assignments = Assignment.objects.active(today).filter(
        role__in=WORKER_ROLES, region__code__startswith=district.prefix
    )
    per_town = {
        row["town_code"]: row
        for row in assignments.annotate(town_code=Substr("region__code", 1, 9))
        .values("town_code")
        .annotate(
            workers=Count("user", distinct=True),
            trained=Count("user", filter=Q(passed_this_year), distinct=True),
        )
    }
    totals = assignments.aggregate(
        workers=Count("user", distinct=True),
        trained=Count("user", filter=Q(passed_this_year), distinct=True),
    )
    # Towns and villages, each with whether its post (R1) is held and by someone trained.
    holder = assignments.filter(
        region=OuterRef("pk"),
        role=Case(
            When(Q(region__level=Level.TOWN), then=Value(Role.SUPERVISOR.value)),
            default=Value(Role.CHILD_DIRECTOR.value),
        ),
    )
    regions = list(
        Region.objects.filter(
            code__startswith=district.prefix, level__in=(Level.TOWN, Level.VILLAGE)
        )
        .annotate(held=Exists(holder), held_trained=Exists(holder.filter(passed_this_year)))
        .order_by("code")
    )
    towns = [r for r in regions if r.level == Level.TOWN and r.parent_id == district.pk]
    untrained: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in (
        assignments.filter(~Q(passed_this_year))
        .select_related("user", "region")
        .order_by("region__code", "user__real_name")
    ):
        untrained[town_prefix(assignment.region.code)].append(assignment)
    result = DistrictCoverage(
        district=district, year=year, workers=totals["workers"], trained=totals["trained"]
    )
    by_town: dict[str, TownCoverage] = {}
    for town in towns:
        row = per_town.get(town_prefix(town.code), {})
        by_town[town_prefix(town.code)] = TownCoverage(
            town=town,
            workers=row.get("workers", 0),
            trained=row.get("trained", 0),
            untrained=untrained.get(town_prefix(town.code), []),
        )
    for region in regions:
        town_cover = by_town.get(town_prefix(region.code))
        if town_cover is None:  # a village whose town is not in the tree
            continue
        flags = {"filled": region.held, "trained": region.held_trained}  # type: ignore[attr-defined]
        town_cover.posts.add(**flags)
        result.posts.add(**flags)
    result.towns = list(by_town.values())
    return result


def course_sessions(user: User, course: Course) -> QuerySet[Session]:
    """The sessions of `course` that `user` may see, with their regions."""
    return course.sessions.filter(
        pk__in=Session.objects.visible_to(user).values("pk")
    ).select_related("region")
