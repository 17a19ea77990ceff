"""The dashboard of an area (a village, a town or a district) and its child areas: the
village figures of stats.figures (from the area's latest snapshot, never computed live), the
people serving each area and the flags of R1 and R2. One dashboard costs a fixed number of
queries however many children, visits or reports the area holds:

1. the regions below the area (with each village's last inspection),
2. the village figures, from the snapshot (stats.figures.stored_village_figures),
6. the active directors and supervisors with their training status,
7. coverage gaps (R1) through org.selectors.coverage_gaps.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from children.choices import Category
from core.calendar import quarter_bounds
from core.regions import PREFIX_LENGTH, Level, prefix_range
from core.replica import primary_reading
from core.roles import Role
from core.scoping import Scope, get_scope
from org.models import Assignment, Region, User
from org.selectors import coverage_gaps
from reports.models import Stage
from stats.figures import (
    OPEN_STAGES,
    add_figures,
    empty_figures,
    stored_village_figures,
    with_shares,
)
from stats.services import request_refresh
from training.models import Rotation
from visits.models import Inspection

# R2: a village with more than this many served children should have more than one director.
R2_THRESHOLD = 30
# The level whose rows an area's dashboard lists.
BELOW = {Level.DISTRICT: Level.TOWN, Level.TOWN: Level.VILLAGE}
DASHBOARD_LEVELS = (Level.DISTRICT, Level.TOWN, Level.VILLAGE)


class TrainingState:
    UNCERTIFIED = "uncertified"
    CURRENT = Rotation.CURRENT
    DUE = Rotation.DUE
    LAPSED = Rotation.LAPSED

    LABELS = {
        UNCERTIFIED: _("Not certified"),
        CURRENT: Rotation.CURRENT.label,
        DUE: Rotation.DUE.label,
        LAPSED: Rotation.LAPSED.label,
    }


# --- People ---------------------------------------------------------------------------------


@dataclass
class Worker:
    user_id: int
    name: str
    phone: str
    training: str

    @property
    def training_label(self) -> Any:
        return TrainingState.LABELS[self.training]

    @property
    def trained(self) -> bool:
        return self.training in (TrainingState.CURRENT, TrainingState.DUE)


def training_state(user: User, today: datetime.date) -> str:
    try:
        status = user.training_status
    except ObjectDoesNotExist:
        return TrainingState.UNCERTIFIED
    if not status.certified:
        return TrainingState.UNCERTIFIED
    return status.rotation_on(today) or TrainingState.CURRENT


def workers_by_region(scope: Scope, prefix: str, today: datetime.date) -> dict[int, list[Worker]]:
    """Active directors (of villages) and supervisors (of towns) under `prefix`, with their
    training state, keyed by region id. One query."""
    assignments = (
        Assignment.objects.active(today)
        .in_scope(scope)
        .filter(
            region__code__range=prefix_range(prefix),
            role__in=[Role.CHILD_DIRECTOR, Role.SUPERVISOR],
        )
        .select_related("user__training_status")
        .order_by("region_id", "user__real_name", "user_id")
    )
    result: dict[int, list[Worker]] = {}
    for a in assignments:
        workers = result.setdefault(a.region_id, [])
        if any(w.user_id == a.user_id for w in workers):
            continue
        workers.append(
            Worker(
                user_id=a.user_id,
                name=str(a.user),
                phone=a.user.phone,
                training=training_state(a.user, today),
            )
        )
    return result


# --- The dashboard --------------------------------------------------------------------------


@dataclass
class Row:
    """One area of a dashboard: its figures, the people serving it and its flags."""

    region: Region
    figures: dict[str, Any]
    workers: list[Worker] = field(default_factory=list)  # directors of a village, else supervisors
    # Villages (a village row: itself).
    villages: int = 0
    villages_without_director: list[Region] = field(default_factory=list)
    r2_villages: list[Region] = field(default_factory=list)
    inspected_this_quarter: int = 0
    last_inspection_on: datetime.date | None = None
    last_inspection_id: int | None = None
    without_supervisor: bool = False

    @property
    def is_village(self) -> bool:
        return self.region.level == Level.VILLAGE

    @property
    def r2(self) -> bool:
        return bool(self.r2_villages)

    @property
    def untrained_workers(self) -> int:
        return sum(1 for w in self.workers if not w.trained)

    @property
    def category_items(self) -> list[tuple[str, Any, int]]:
        """(code, label, count) of the categories with children, in the vocabulary's order."""
        counts = self.figures["categories"]
        return [(c.value, c.label, counts[c.value]) for c in Category if counts.get(c.value)]

    @property
    def stage_items(self) -> list[tuple[str, Any, int]]:
        """(code, label, count) of the open stages with reports, in the stage order."""
        counts = self.figures["reports"]
        return [(s, Stage(s).label, counts[s]) for s in OPEN_STAGES if counts.get(s)]


@dataclass
class Dashboard:
    area: Region
    today: datetime.date
    total: Row
    rows: list[Row]
    towns_without_supervisor: list[Region]
    # When the snapshot the figures come from was taken (None: no snapshot yet, all zero).
    as_of: datetime.datetime | None = None
    # False: the snapshot is not fresh and a new one was requested (stats.services).
    fresh: bool = True

    @property
    def row_level(self) -> str | None:
        return BELOW.get(Level(self.area.level))


def dashboard_area_or_none(user: User, code: str) -> Region | None:
    """The village, town or district `code` if `user` may read its figures, else None."""
    if not (len(code) == 12 and code.isdigit()):
        return None
    return (
        Region.objects.visible_to(user)
        .filter(code=code, level__in=DASHBOARD_LEVELS)
        .select_related("parent")
        .first()
    )


def own_areas(user: User) -> list[Region]:
    """The areas a user's dashboard opens on: a director's villages, a supervisor's towns,
    the districts of civil affairs and the protection centre (broadest first)."""
    scope = get_scope(user)
    areas = scope.regions(
        Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE, Role.SUPERVISOR, Role.CHILD_DIRECTOR
    )
    kept: list[Region] = []
    for area in sorted(areas, key=lambda r: (len(r.prefix), r.code)):
        if area.level in DASHBOARD_LEVELS and not any(area.code.startswith(k.prefix) for k in kept):
            kept.append(area)
    return kept


def _regions_below(scope: Scope, area: Region) -> list[Region]:
    last = Inspection.objects.filter(village=OuterRef("pk")).order_by("-inspected_on", "-pk")
    levels = [lvl for lvl in (Level.TOWN, Level.VILLAGE) if PREFIX_LENGTH[lvl] >= len(area.prefix)]
    return list(
        Region.objects.in_scope(scope)
        .filter(code__range=prefix_range(area.prefix), level__in=levels)
        .annotate(
            last_inspection_id=Subquery(last.values("pk")[:1]),
            last_inspection_on=Subquery(last.values("inspected_on")[:1]),
        )
        .order_by("code")
    )


def _village_row(
    village: Region,
    figures: dict[str, Any],
    workers: list[Worker],
    quarter_start: datetime.date,
    uncovered: set[int],
) -> Row:
    last_on = getattr(village, "last_inspection_on", None)
    directors = len(workers)
    return Row(
        region=village,
        figures=with_shares(figures),
        workers=workers,
        villages=1,
        villages_without_director=[village] if village.pk in uncovered else [],
        r2_villages=[village] if figures["total"] > R2_THRESHOLD and directors == 1 else [],
        inspected_this_quarter=int(last_on is not None and last_on >= quarter_start),
        last_inspection_on=last_on,
        last_inspection_id=getattr(village, "last_inspection_id", None),
    )


def _group_row(
    region: Region, villages: Iterable[Row], workers: list[Worker], unsupervised: set[int]
) -> Row:
    figures = empty_figures()
    row = Row(
        region=region,
        figures=figures,
        workers=workers,
        without_supervisor=region.pk in unsupervised,
    )
    for village in villages:
        add_figures(figures, village.figures)
        row.villages += 1
        row.villages_without_director += village.villages_without_director
        row.r2_villages += village.r2_villages
        row.inspected_this_quarter += village.inspected_this_quarter
    row.figures = with_shares(figures)
    return row


def area_dashboard(
    user: User, area: Region, today: datetime.date, now: datetime.datetime
) -> Dashboard:
    """The figures of `area` (which `user` may read: see dashboard_area_or_none) and of each
    area one level below it. A constant number of queries."""
    scope = get_scope(user)
    regions = _regions_below(scope, area)
    by_village, as_of, fresh = area_figures(scope, area, today, now)
    workers = workers_by_region(scope, area.prefix, today)
    quarter_start = quarter_bounds(today)[0]
    coverage = coverage_gaps(user, today)
    uncovered = {v.pk for v in coverage.villages_without_director}
    village_rows = [
        _village_row(r, by_village.get(r.code, empty_figures()), workers.get(r.pk, []),
                     quarter_start, uncovered)
        for r in regions
        if r.level == Level.VILLAGE
    ]  # fmt: skip
    towns_without_supervisor = [
        t for t in coverage.towns_without_supervisor if t.code.startswith(area.prefix)
    ]
    unsupervised = {t.pk for t in towns_without_supervisor}
    if area.level == Level.VILLAGE:
        village = next((r for r in regions if r.pk == area.pk), area)
        total = _village_row(
            village, by_village.get(area.code, empty_figures()), workers.get(area.pk, []),
            quarter_start, uncovered,
        )  # fmt: skip
        return Dashboard(area, today, total, [], towns_without_supervisor, as_of, fresh)
    if area.level == Level.TOWN:
        rows = village_rows
        total = _group_row(area, village_rows, workers.get(area.pk, []), unsupervised)
    else:
        rows = []
        for town in (r for r in regions if r.level == Level.TOWN):
            inside = [v for v in village_rows if v.region.code.startswith(town.prefix)]
            rows.append(_group_row(town, inside, workers.get(town.pk, []), unsupervised))
        total = _group_row(area, village_rows, [], unsupervised)
    return Dashboard(area, today, total, rows, towns_without_supervisor, as_of, fresh)


def village_summaries(
    user: User, villages: list[Region], today: datetime.date, now: datetime.datetime
) -> list[tuple[Region, dict[str, Any]]]:
    """A director's villages with their figures from the snapshot (the home page panel): one
    query each."""
    scope = get_scope(user)
    return [
        (v, with_shares(area_figures(scope, v, today, now)[0].get(v.code, empty_figures())))
        for v in villages
        if scope.covers(v.code)
    ]


def area_figures(
    scope: Scope, area: Region, today: datetime.date, now: datetime.datetime
) -> tuple[dict[str, dict[str, Any]], datetime.datetime | None, bool]:
    """The villages' figures of `area` from its latest snapshot, with the time it was taken
    and whether it is fresh. Never computed here: a snapshot that is missing or not fresh is
    shown as it is while its district's is refreshed (with no worker, at once: then re-read)."""
    stored = stored_village_figures(scope, area, today, now)
    if not stored.fresh and request_refresh(area.code, today, now):
        with primary_reading():  # just written: not on the replica yet
            stored = stored_village_figures(scope, area, today, now)
    return stored.by_village, stored.taken_at, stored.fresh
