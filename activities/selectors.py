"""Reads of care activities: the list in a person's scope, who took part as the reader may
see it (never a child outside her scope), and the year's dashboard (activities by type and
area, villages without a safety-education activity, children who took part in none), each
in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from activities.models import Activity, ActivityKind, Attendance
from children.choices import Status
from children.models import Child
from core.regions import PREFIX_LENGTH, Level, code_at
from core.scoping import Scope, get_scope, visible_q
from org.models import Region, User


def visible_attendances(user: User) -> QuerySet[Attendance]:
    """Attendances of children `user` may see (the region scope and explicit grants, as a
    subquery): the only way a page or the API lists who took part."""
    return Attendance.objects.filter(
        visible_q(user, Child, code_field="child__region_code", pk_field="child_id")
    )


def activities_for(user: User, params: Mapping[str, Any] | None = None) -> QuerySet[Activity]:
    """Activities `user` may see, newest first, filtered by `kind`, `year` and `region` (a
    region's pk: its activities and those of the areas inside it), with the number of
    children who took part (`children_count`) and, prefetched, those she may see
    (`seen_attendances`)."""
    params = params or {}
    activities = Activity.objects.visible_to(user)
    if params.get("kind"):
        activities = activities.filter(kind=params["kind"])
    if params.get("year"):
        activities = activities.filter(held_on__year=int(params["year"]))
    if params.get("region"):
        region = Region.objects.filter(pk=params["region"]).first()
        activities = (
            activities.in_scope(Scope.of_prefixes([region.prefix]))
            if region
            else (activities.none())
        )
    return (
        activities.select_related("region", "provider")
        .annotate(children_count=Count("attendances"))
        .order_by("-held_on", "-pk")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=visible_attendances(user)
                .select_related("child__village")
                .order_by("child__name_pinyin", "pk"),
                to_attr="seen_attendances",
            )
        )
    )


def area_level(scope: Scope) -> str:
    """The level a dashboard breaks its figures into: the level below the widest region in
    `scope` (a district's towns, a town's villages), villages for a village."""
    widest = min((len(p) for p in scope.prefixes), default=PREFIX_LENGTH[Level.VILLAGE])
    if widest <= PREFIX_LENGTH[Level.DISTRICT]:
        return Level.TOWN
    return Level.VILLAGE


@dataclass
class AreaRow:
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0

    @property
    def cells(self) -> list[int]:
        """The counts in the order of ActivityKind."""
        return [self.counts.get(kind, 0) for kind in ActivityKind.values]


@dataclass
class Dashboard:
    year: int
    kinds: list[tuple[str, str]]
    by_kind: dict[str, int]
    total: int
    areas: list[AreaRow]
    villages_without_safety: list[Region]
    children_total: int
    children_without: QuerySet[Child]
    children_without_count: int

    @property
    def kind_totals(self) -> list[int]:
        return [self.by_kind[kind] for kind in ActivityKind.values]


def _safety_done(year: int, village_code: Any) -> Q:
    """A village has had its safety education in `year` when an activity of the kind was
    organised for it, or children of the village took part in one (a town's, say)."""
    safety = Activity.objects.filter(kind=ActivityKind.SAFETY, held_on__year=year)
    return Q(Exists(safety.filter(region_code=village_code))) | Q(
        Exists(
            Attendance.objects.filter(
                activity__kind=ActivityKind.SAFETY,
                activity__held_on__year=year,
                child__region_code=village_code,
            )
        )
    )


def villages_without_safety(scope: Scope, year: int) -> QuerySet[Region]:
    """The villages in `scope` with no safety-education activity in `year` (one query)."""
    return (
        Region.objects.villages_in(scope)
        .exclude(_safety_done(year, OuterRef("code")))
        .select_related("parent")
        .order_by("code")
    )


def children_without_activity(scope: Scope, year: int) -> QuerySet[Child]:
    """Active children in `scope` who took part in no activity in `year`."""
    return (
        Child.objects.in_scope(scope)
        .filter(status=Status.ACTIVE)
        .exclude(
            Exists(Attendance.objects.filter(child_id=OuterRef("pk"), activity__held_on__year=year))
        )
    )


def dashboard(user: User, year: int) -> Dashboard:
    """The year's figures in `user`'s region scope (no grants: figures of a region), in six
    queries whatever the size of the scope."""
    scope = get_scope(user)
    level = area_level(scope)
    counts = (
        Activity.objects.in_scope(scope)
        .filter(held_on__year=year)
        .values_list("region_code", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows: dict[str, AreaRow] = {}
    by_kind = dict.fromkeys(ActivityKind.values, 0)
    for code, kind, n in counts:
        # An activity of an area wider than the rows (the town's, the district's) is its own
        # row: code_at keeps a wider region's code as it is.
        key = code_at(code, level)
        row = rows.setdefault(key, AreaRow(code=key, name=key))
        row.counts[kind] = row.counts.get(kind, 0) + n
        row.total += n
        by_kind[kind] += n
    names = dict(Region.objects.filter(code__in=rows).values_list("code", "name"))
    for row in rows.values():
        row.name = names.get(row.code, row.code)
    without = children_without_activity(scope, year)
    return Dashboard(
        year=year,
        kinds=[(value, str(label)) for value, label in ActivityKind.choices],
        by_kind=by_kind,
        total=sum(by_kind.values()),
        areas=sorted(rows.values(), key=lambda r: r.code),
        villages_without_safety=list(villages_without_safety(scope, year)),
        children_total=Child.objects.in_scope(scope).filter(status=Status.ACTIVE).count(),
        children_without=without.select_related("village").order_by("region_code", "name_pinyin"),
        children_without_count=without.count(),
    )
