"""Reading visits: the director's work list, village compliance, the supervisor's inspection
flags. Every figure is one set-based query, whatever the number of children."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least, Substr

from children.choices import Status
from children.models import Child
from children.models_risk import RiskLevel
from core import scoping
from core.calendar import month_bounds, pct, quarter_bounds, quarter_of
from core.regions import PREFIX_LENGTH, Level, prefix_range
from core.roles import Role
from org.models import Region, User
from visits import cadence
from visits.models import (
    IN_PERSON_KINDS,
    FollowUp,
    Inspection,
    Rectification,
    Visit,
    VisitKind,
)

SOON_DAYS = 7
OVERDUE, DUE_SOON, LATER = 0, 1, 2


def is_town_supervisor(user: User, code: str) -> bool:
    return any(
        code.startswith(town.prefix) for town in scoping.get_scope(user).regions(Role.SUPERVISOR)
    )


def directs_village(user: User, code: str) -> bool:
    """`user` is a child director of the village with division code `code`."""
    return any(
        code.startswith(v.prefix) for v in scoping.get_scope(user).regions(Role.CHILD_DIRECTOR)
    )


def work_villages(user: User) -> list[Region]:
    """The villages of "my work": a director's own villages; for other roles, none (they see
    their whole scope)."""
    return scoping.get_scope(user).regions(Role.CHILD_DIRECTOR)


def work_children(user: User, today: datetime.date) -> QuerySet[Child]:
    """Active children the user works with, by village (a director serving two villages reads
    them one village after the other), and in each village overdue first, then due within 7
    days, then the rest; within each, higher risk level first (children.risk), then the
    earliest due date. Risk orders the work that is due; it does not put a child visited
    today before one due tomorrow."""
    children = Child.objects.visible_to(user).filter(status=Status.ACTIVE)
    villages = work_villages(user)
    if villages:
        children = children.filter(village__in=villages)
    soon = today + datetime.timedelta(days=SOON_DAYS)
    return (
        children.annotate(next_due=Least("next_contact_due", "next_home_visit_due"))
        .annotate(
            bucket=Case(
                When(next_due__lt=today, then=Value(OVERDUE)),
                When(next_due__lte=soon, then=Value(DUE_SOON)),
                default=Value(LATER),
                output_field=IntegerField(),
            )
        )
        .annotate(risk_rank=Coalesce("risk__level", Value(int(RiskLevel.LOW))))
        .select_related("village", "risk")
        .order_by("village__code", "bucket", "-risk_rank", "next_due", "name_pinyin", "pk")
    )


def _visited(kinds: Any, start: datetime.date, end: datetime.date) -> Any:
    condition = Q(child=OuterRef("pk"), visit_date__range=(start, end), kind__in=list(kinds))
    return Exists(Visit.objects.filter(condition))


def _visited_q(kinds: Any, start: datetime.date, end: datetime.date, bulk: bool) -> Q:
    """A child with a visit of `kinds` between `start` and `end`: probed per child (EXISTS),
    or with `bulk` the period's visits read once (an uncorrelated IN subquery the database
    hashes), several times faster on PostgreSQL when counting a whole district."""
    if not bulk:
        return Q(_visited(kinds, start, end))
    visits = Visit.objects.filter(visit_date__range=(start, end), kind__in=list(kinds))
    return Q(pk__in=visits.values("child_id"))


def contacted_q(
    today: datetime.date, bulk: bool = False, remote_districts: list[str] | None = None
) -> Q:
    """A child (row of Child) contacted this calendar month by a contact that counts under the
    district's cadence rule (`cadence.any_kind_counts_q`: in person for key children unless the
    district counts remote contacts, R15). The compliance rule, shared by compliance figures,
    snapshots, the workbook and child filters. `remote_districts`: `cadence.remote_key_districts()`
    when the caller already has it (read here otherwise)."""
    if remote_districts is None:
        remote_districts = cadence.remote_key_districts()
    m_start, m_end = month_bounds(today)
    any_contact = _visited_q(VisitKind.values, m_start, m_end, bulk)
    in_person = _visited_q(IN_PERSON_KINDS, m_start, m_end, bulk)
    return (cadence.any_kind_counts_q(remote_districts) & any_contact) | in_person


def home_visited_q(today: datetime.date, bulk: bool = False) -> Q:
    """A child (row of Child) visited at home this calendar quarter."""
    q_start, q_end = quarter_bounds(today)
    return _visited_q([VisitKind.HOME], q_start, q_end, bulk)


def compliance_aggregates(today: datetime.date, bulk: bool = False) -> dict[str, Any]:
    """The aggregates of the compliance rule over a queryset of active children: `total`,
    `contacted` (this month) and `home_visited` (this quarter). `bulk`: see _visited_q."""
    return {
        "total": Count("pk"),
        "contacted": Count("pk", filter=contacted_q(today, bulk, cadence.remote_key_districts())),
        "home_visited": Count("pk", filter=home_visited_q(today, bulk)),
    }


def compliance(villages: list[Region], today: datetime.date) -> list[dict[str, Any]]:
    """Per village: active children, those with a contact this calendar month (in person for
    key children, R15) and those with a home visit this calendar quarter. One query."""
    if not villages:
        return []
    rows = (
        Child.objects.filter(village__in=villages, status=Status.ACTIVE)
        .values("village_id")
        .annotate(**compliance_aggregates(today))
        .order_by()
    )
    by_village = {row["village_id"]: row for row in rows}
    result = []
    for village in villages:
        row = by_village.get(village.pk, {"total": 0, "contacted": 0, "home_visited": 0})
        total = row["total"]
        result.append(
            {
                "village": village,
                "total": total,
                "contacted": row["contacted"],
                "home_visited": row["home_visited"],
                "month_pct": round(100 * row["contacted"] / total) if total else None,
                "quarter_pct": round(100 * row["home_visited"] / total) if total else None,
            }
        )
    return result


def work_counts(user: User, today: datetime.date) -> dict[str, int]:
    """Overdue and due-soon counts for the home page panel, one aggregate."""
    children = Child.objects.visible_to(user).filter(status=Status.ACTIVE)
    villages = work_villages(user)
    if villages:
        children = children.filter(village__in=villages)
    soon = today + datetime.timedelta(days=SOON_DAYS)
    overdue = Q(next_contact_due__lt=today) | Q(next_home_visit_due__lt=today)
    due_soon = Q(next_contact_due__lte=soon) | Q(next_home_visit_due__lte=soon)
    return children.aggregate(
        overdue=Count("pk", filter=overdue), due_soon=Count("pk", filter=due_soon & ~overdue)
    )


def visits_for(user: User, params: dict[str, Any]) -> QuerySet[Visit]:
    """Visits the user may see, filtered by child, kind and date range."""
    visits = Visit.objects.visible_to(user).select_related("child", "author")
    if params.get("child"):
        visits = visits.filter(child_id=params["child"])
    if params.get("kind"):
        visits = visits.filter(kind=params["kind"])
    if params.get("date_from"):
        visits = visits.filter(visit_date__gte=params["date_from"])
    if params.get("date_to"):
        visits = visits.filter(visit_date__lte=params["date_to"])
    return visits.order_by("-visit_date", "-pk")


def supervised_villages(user: User) -> QuerySet[Region]:
    towns = scoping.role_scope(user, Role.SUPERVISOR)
    if not towns.prefixes:
        return Region.objects.none()
    return Region.objects.in_scope(towns).filter(level=Level.VILLAGE).order_by("code")


def villages_with_inspection(user: User, today: datetime.date) -> QuerySet[Region]:
    """The supervisor's villages, each annotated `inspected` (this quarter), the
    not-inspected first."""
    inspected = Exists(Inspection.objects.filter(village=OuterRef("pk"), quarter=quarter_of(today)))
    return supervised_villages(user).annotate(inspected=inspected).order_by("inspected", "code")


# --- Compliance per town and per district --------------------------------------------------

# The level below each level whose compliance is broken down.
BREAKDOWN = {Level.TOWN: Level.VILLAGE, Level.DISTRICT: Level.TOWN}


def _figures(total: int, contacted: int, home_visited: int) -> dict[str, Any]:
    return {
        "total": total,
        "contacted": contacted,
        "home_visited": home_visited,
        "month_pct": pct(contacted, total),
        "quarter_pct": pct(home_visited, total),
    }


def area_compliance(user: User, area: Region, today: datetime.date) -> dict[str, Any]:
    """Compliance of `area` (a town or a district) broken down by the level below (villages of
    a town, towns of a district), with the area's total: share of active children with a
    contact this calendar month that counts under the district's cadence rule (`contacted_q`)
    and a home visit this
    calendar quarter. Two queries whatever the number of children: the sub-areas, and one
    aggregate grouped by the region-code prefix of the sub-area."""
    length = PREFIX_LENGTH[BREAKDOWN[Level(area.level)]]
    rows = (
        Child.objects.visible_to(user)
        .filter(status=Status.ACTIVE, region_code__range=prefix_range(area.prefix))
        .annotate(area_prefix=Substr("region_code", 1, length))
        .values("area_prefix")
        .annotate(**compliance_aggregates(today))
        .order_by()
    )
    return compliance_breakdown(area, {row["area_prefix"]: row for row in rows})


def compliance_breakdown(
    area: Region, by_prefix: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """`area_compliance`'s figures from counts already made: `by_prefix` maps each sub-area's
    code prefix to its "total", "contacted" and "home_visited" (a live aggregate, or the
    dashboards' stored snapshot rolled up: stats.workbook). One query, the sub-areas."""
    below = BREAKDOWN[Level(area.level)]
    sub_areas = list(
        Region.objects.filter(code__range=prefix_range(area.prefix), level=below).order_by("code")
    )
    keys = ("total", "contacted", "home_visited")
    empty = dict.fromkeys(keys, 0)
    parts = []
    for sub in sub_areas:
        row = by_prefix.get(sub.prefix, empty)
        parts.append(
            {"region": sub, **_figures(row["total"], row["contacted"], row["home_visited"])}
        )
    sums = {k: sum(row[k] for row in by_prefix.values()) for k in keys}
    return {"region": area, "parts": parts, "total": _figures(**sums)}


def compliance_areas(user: User) -> list[Region]:
    """The areas whose compliance `user` reads: a supervisor's towns, civil affairs' districts."""
    scope = scoping.get_scope(user)
    areas = scope.regions(Role.SUPERVISOR, Role.CIVIL_AFFAIRS)
    return [a for a in areas if a.level in BREAKDOWN]


# --- Open follow-up and rectification items -------------------------------------------------


def open_follow_ups(user: User, today: datetime.date, limit: int = 50) -> QuerySet[FollowUp]:
    """Open follow-up items of the visits and children of a director's villages: first those
    of a visit that found the child in danger (the urgent "file a mandatory report" item a
    danger visit adds, visits.services.visit_record), then the other urgent ones, then the
    overdue, each by due date. Empty for other roles."""
    villages = work_villages(user)
    if not villages:
        return FollowUp.objects.none()
    return (
        FollowUp.objects.visible_to(user)
        .filter(done=False, visit__child__village__in=villages)
        .annotate(
            danger=Case(When(urgent=True, visit__danger_found=True, then=Value(1)),
                        default=Value(0), output_field=IntegerField()),
            overdue=Case(When(due_on__lt=today, then=Value(1)), default=Value(0),
                         output_field=IntegerField()),
        )
        .select_related("visit__child")
        .order_by("-danger", "-urgent", "-overdue", "due_on", "pk")[:limit]
    )  # fmt: skip


def open_rectifications(
    user: User, today: datetime.date, limit: int = 50
) -> QuerySet[Rectification]:
    """Open rectification items of the inspections of a supervisor's towns and a director's
    villages (those who close them), overdue first."""
    areas = scoping.role_scope(user, Role.SUPERVISOR, Role.CHILD_DIRECTOR)
    if not areas.prefixes:
        return Rectification.objects.none()
    return (
        Rectification.objects.visible_to(user)
        .in_scope(areas)
        .filter(done=False)
        .annotate(overdue=Case(When(due_on__lt=today, then=Value(1)), default=Value(0),
                               output_field=IntegerField()))
        .select_related("inspection__village")
        .order_by("-overdue", "due_on", "pk")[:limit]
    )  # fmt: skip


def rectifications_for(user: User, params: dict[str, Any], today: datetime.date) -> Any:
    """Rectification items the user may see, filtered by village or town (12-digit division
    codes), open only, overdue only (open and due before today) and due before a date; open
    ones first, then by due date."""
    items = Rectification.objects.visible_to(user)
    for key in ("village", "town"):
        if params.get(key):
            length = PREFIX_LENGTH[Level.VILLAGE if key == "village" else Level.TOWN]
            items = items.filter(inspection__region_code__range=prefix_range(params[key][:length]))
    if params.get("open"):
        items = items.filter(done=False)
    elif params.get("open") is False:
        items = items.filter(done=True)
    if params.get("overdue"):
        items = items.filter(done=False, due_on__lt=today)
    if params.get("due_before"):
        items = items.filter(due_on__lt=params["due_before"])
    return items.select_related("inspection__village", "done_by").order_by("done", "due_on", "pk")


def recent_inspections(user: User) -> QuerySet[Inspection]:
    """The village inspections `user` may see, newest first, with village and supervisor."""
    return (
        Inspection.objects.visible_to(user)
        .select_related("village", "supervisor")
        .order_by("-inspected_on", "-pk")
    )


def recent_visits(child: Child) -> QuerySet[Visit]:
    """The visits of `child`, newest first, with their authors."""
    return Visit.objects.filter(child=child).select_related("author").order_by("-visit_date", "-pk")
