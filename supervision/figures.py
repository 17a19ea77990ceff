"""Worker assessment figures (R5): per child director and supervisor, over a period.

Who sees whom: a town supervisor sees the child directors of their town; district civil
affairs see the directors and supervisors of their district. A worker is anyone holding such
an assignment at some time in the period (ended assignments count for the days they ran).

Every figure is one aggregate query grouped by worker (or by village), whatever the number of
children or visits; `assessment` runs a constant number of queries.

Definitions
-----------
* **Visit on time / late.** Each visit the worker recorded in the period is judged against
  the due dates the child had on the visit's date, recomputed from the stored data with the
  district's cadence rule (`visits.cadence.Rule`, the same rule that keeps the child's stored
  due dates): the contact due date is the child's latest qualifying contact *before* that day
  (in person only for a key child unless the rule counts remote contacts; the registration
  date when there is none) plus the contact interval; the home-visit due date is the latest
  home visit before that day plus the home interval (the key-child interval for key
  children), or registration plus the first-visit days. A visit is **on time** when its date
  is no later than every due date it satisfies: a contact satisfies the contact due date; a
  home visit satisfies both. Otherwise it is **late** (the child was already overdue). A phone
  or video contact with a key child, which satisfies no due date under R15, is not counted.
  The child's current key status is used (key status is not back-dated).
* **Records kept current.** Among the archives of the worker's villages (a supervisor: every
  village of the town) that were open at some time in the window, the share updated in the
  window: the last quarter of the period, i.e. the three months ending on the period's end
  (from the day after the end, three calendar months back: 2026-04-01 … 2026-06-30).
  "Updated" means a change to the archive itself (its history) or a visit, assistance,
  referral, work-log note or problem recorded for the child in the window.
* **Reports filed.** Mandatory reports the worker filed in the period.
* **Steps on time / late.** Steps of mandatory-report cases the worker recorded in the period
  (the filing itself excluded). A step is late when it was recorded after the deadline in
  force on the case at that moment: the "next step due" set by the latest earlier step that set
  one (a closing step clears it). With no deadline in force, a step is on time.
* **Inspections (supervisors).** Expected: the town's villages × the calendar quarters that
  overlap the period. Done: distinct (village, quarter) pairs the supervisor inspected with an
  inspection dated in the period.
* **Training.** The worker's stored certification (`training.TrainingStatus`) and their annual
  rotation state today.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Cast, Concat, TruncDate
from django.utils.translation import gettext as _

from children.choices import Status
from children.models import Assistance, Child, Problem, Referral, WorkNote
from core import scoping
from core.calendar import add_months, pct, quarter_bounds, quarter_of
from core.regions import Level, prefix_range, town_prefix
from core.roles import Role
from org.models import Assignment, Region, User
from reports.models import MandatoryReport, ReportStep, Stage, StepKind
from training.models import TrainingStatus
from visits import cadence
from visits.models import Inspection, Visit, VisitKind

# --- The period ------------------------------------------------------------------------------


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """This year to date."""
    return datetime.date(today.year, 1, 1), today


# Assessment periods start no earlier than this (CareCase's records begin long after; an older
# date is a typing mistake, and year 1 would overflow the date arithmetic).
EARLIEST_PERIOD = datetime.date(2000, 1, 1)


def period_errors(
    start: datetime.date | None, end: datetime.date | None, today: datetime.date
) -> dict[str, list[str]]:
    """Why (start, end) is not a period one can assess, by field; empty when it is."""
    errors: dict[str, list[str]] = {}
    earliest = _("Give a date from %(date)s on.") % {"date": EARLIEST_PERIOD.isoformat()}
    if start is not None and start > today:
        errors["start"] = [_("The start cannot be in the future.")]
    elif start is not None and start < EARLIEST_PERIOD:
        errors["start"] = [earliest]
    if end is not None and end < EARLIEST_PERIOD:
        errors["end"] = [earliest]
    elif end is not None and end > today:
        errors["end"] = [_("The end cannot be in the future.")]
    elif start is not None and end is not None and end < start:
        errors["end"] = [_("The end cannot be before the start.")]
    return errors


def records_window(end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last quarter of a period ending on `end`: the three months ending on `end`."""
    return add_months(end + datetime.timedelta(days=1), -3), end


def quarters_in(start: datetime.date, end: datetime.date) -> list[str]:
    """The calendar quarters (2026Q1 …) that overlap [start, end]."""
    quarters: list[str] = []
    day = start
    while day <= end:
        quarters.append(quarter_of(day))
        day = quarter_bounds(day)[1] + datetime.timedelta(days=1)
    return quarters


# --- Who is assessed -------------------------------------------------------------------------


def assessment_areas(user: User) -> list[Region]:
    """The areas whose workers `user` assesses: a supervisor's towns, civil affairs'
    districts."""
    scope = scoping.get_scope(user)
    return [
        r
        for r in scope.regions(Role.SUPERVISOR, Role.CIVIL_AFFAIRS)
        if r.level in (Level.TOWN, Level.DISTRICT)
    ]


def area_for(user: User, area_id: Any) -> Region | None:
    """One of `user`'s areas by id (the first when `area_id` is empty); None when not theirs."""
    areas = assessment_areas(user)
    if not areas:
        return None
    if area_id in (None, ""):
        return areas[0]
    return next((a for a in areas if str(a.pk) == str(area_id)), None)


def assessed_roles(area: Region) -> tuple[str, ...]:
    """A town's supervisor assesses directors; a district assesses directors and supervisors."""
    if area.level == Level.DISTRICT:
        return (Role.CHILD_DIRECTOR, Role.SUPERVISOR)
    return (Role.CHILD_DIRECTOR,)


def worker_assignments(
    user: User, area: Region, start: datetime.date, end: datetime.date
) -> list[Assignment]:
    """Assignments of the workers of `area` that ran at some time in [start, end], among
    those `user` may see."""
    return list(
        Assignment.objects.visible_to(user)
        .filter(
            Q(end_date__isnull=True) | Q(end_date__gt=start),
            region__code__range=prefix_range(area.prefix),
            role__in=assessed_roles(area),
            start_date__lte=end,
        )
        .select_related("user", "region")
        .order_by("role", "region__code", "user__real_name", "pk")
    )


# --- Figures ---------------------------------------------------------------------------------


@dataclass
class WorkerFigures:
    worker: User
    role: str
    regions: list[Region] = field(default_factory=list)
    visits_on_time: int = 0
    visits_late: int = 0
    archives: int = 0
    archives_current: int = 0
    reports_filed: int = 0
    steps_on_time: int = 0
    steps_late: int = 0
    inspections_expected: int | None = None
    inspections_done: int | None = None
    training: TrainingStatus | None = None
    rotation: str = ""
    written: Any = None
    can_write: bool = False  # set by the page: whether the viewer writes this assessment

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)

    @property
    def visits(self) -> int:
        return self.visits_on_time + self.visits_late

    @property
    def visits_on_time_pct(self) -> float | None:
        return pct(self.visits_on_time, self.visits)

    @property
    def archives_current_pct(self) -> float | None:
        return pct(self.archives_current, self.archives)

    @property
    def steps(self) -> int:
        return self.steps_on_time + self.steps_late

    @property
    def certified(self) -> bool:
        return self.training is not None and self.training.certified


def _previous_visit(kinds: Any) -> Subquery:
    """The child's latest visit of `kinds` strictly before the outer visit's date."""
    return Subquery(
        Visit.objects.filter(
            child=OuterRef("child"), kind__in=list(kinds), visit_date__lt=OuterRef("visit_date")
        )
        .order_by("-visit_date")
        .values("visit_date")[:1],
        output_field=DateField(),
    )


def visit_timeliness(visits: Any, rule: cadence.Rule) -> Any:
    """`visits` annotated with `counted` (satisfies a due date), `contact_due` and `home_due`
    (the child's due dates on the visit's day) — see the module's definitions."""
    contact_due, home_due = cadence.due_date_expressions(
        rule,
        _previous_visit,
        TruncDate("child__created_at"),
        is_key="child__is_key",
        risk_of=None,  # a child's level on a past day is not kept: the key rule alone
    )
    return visits.annotate(contact_due=contact_due, home_due=home_due)


def visit_counts_q(rule: cadence.Rule) -> tuple[Q, Q]:
    """(on time, late) conditions over visits annotated by `visit_timeliness`."""
    counted = Q(child__is_key=False) | Q(kind__in=list(rule.contact_kinds(True)))
    in_time = Q(visit_date__lte=F("contact_due")) & (
        ~Q(kind=VisitKind.HOME) | Q(visit_date__lte=F("home_due"))
    )
    return counted & in_time, counted & ~in_time


def _day_range(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, ...]:
    """Aware datetimes from the start of `start` to the end of `end` (local time)."""
    from django.utils import timezone

    first = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    last = timezone.make_aware(datetime.datetime.combine(end, datetime.time.max))
    return first, last


def _visit_rows(
    user: User, area: Region, ids: list[int], start: datetime.date, end: datetime.date
) -> dict[int, dict[str, int]]:
    rule = cadence.rule_for_code(area.code)
    on_time, late = visit_counts_q(rule)
    visits = Visit.objects.visible_to(user).filter(
        author_id__in=ids,
        visit_date__range=(start, end),
        child__region_code__range=prefix_range(area.prefix),
    )
    rows = (
        visit_timeliness(visits, rule)
        .values("author_id")
        .annotate(on_time=Count("pk", filter=on_time), late=Count("pk", filter=late))
        .order_by()
    )
    return {row["author_id"]: row for row in rows}


def archive_updated(start: datetime.date, end: datetime.date) -> Q:
    """Children whose archive changed, or got a visit or record, in [start, end]."""
    first, last = _day_range(start, end)
    history = Child.history.model
    at = {"created_at__range": (first, last), "child": OuterRef("pk")}
    return (
        Q(Exists(history.objects.filter(id=OuterRef("pk"), history_date__range=(first, last))))
        | Q(Exists(Visit.objects.filter(child=OuterRef("pk"), visit_date__range=(start, end))))
        | Q(Exists(Assistance.objects.filter(**at)))
        | Q(Exists(Referral.objects.filter(**at)))
        | Q(Exists(WorkNote.objects.filter(**at)))
        | Q(Exists(Problem.objects.filter(**at)))
    )


def _archive_rows(user: User, area: Region, end: datetime.date) -> dict[str, dict[str, int]]:
    """Per village code: archives open at some time in the records window, and those updated
    in it."""
    w_start, w_end = records_window(end)
    _first, last = _day_range(w_start, w_end)
    rows = (
        Child.objects.visible_to(user)
        .filter(region_code__range=prefix_range(area.prefix), created_at__lte=last)
        .filter(Q(status=Status.ACTIVE) | Q(closed_on__isnull=True) | Q(closed_on__gte=w_start))
        .values("region_code")
        .annotate(total=Count("pk"), current=Count("pk", filter=archive_updated(w_start, w_end)))
        .order_by()
    )
    return {row["region_code"]: row for row in rows}


def _report_rows(
    user: User, area: Region, ids: list[int], start: datetime.date, end: datetime.date
) -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    first, last = _day_range(start, end)
    in_area = {"region_code__range": prefix_range(area.prefix)}
    filed = {
        row["reporter_id"]: row["n"]
        for row in MandatoryReport.objects.visible_to(user)
        .filter(reporter_id__in=ids, created_at__range=(first, last), **in_area)
        .values("reporter_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    deadline = Subquery(
        ReportStep.objects.filter(report=OuterRef("report"), created_at__lt=OuterRef("created_at"))
        .filter(Q(next_due_at__isnull=False) | Q(kind=StepKind.STAGE, stage=Stage.CLOSED))
        .order_by("-created_at", "-pk")
        .values("next_due_at")[:1],
        output_field=DateTimeField(),
    )
    late = Q(deadline__isnull=False, created_at__gt=F("deadline"))
    steps = {
        row["by_id"]: row
        for row in ReportStep.objects.visible_to(user)
        .filter(by_id__in=ids, created_at__range=(first, last))
        .filter(report__region_code__range=prefix_range(area.prefix))
        .exclude(kind=StepKind.REPORT)
        .annotate(deadline=deadline)
        .values("by_id")
        .annotate(on_time=Count("pk", filter=~late), late=Count("pk", filter=late))
        .order_by()
    }
    return filed, steps


def _inspection_rows(
    user: User, area: Region, ids: list[int], start: datetime.date, end: datetime.date
) -> dict[int, int]:
    pair = Concat(Cast("village_id", CharField()), F("quarter"), output_field=CharField())
    return {
        row["supervisor_id"]: row["n"]
        for row in Inspection.objects.visible_to(user)
        .filter(
            supervisor_id__in=ids,
            inspected_on__range=(start, end),
            region_code__range=prefix_range(area.prefix),
        )
        .values("supervisor_id")
        .annotate(n=Count(pair, distinct=True))
        .order_by()
    }


def _villages_per_town(area: Region) -> dict[str, int]:
    rows = (
        Region.objects.filter(code__range=prefix_range(area.prefix), level=Level.VILLAGE)
        .values_list("code", flat=True)
        .order_by()
    )
    counts: dict[str, int] = defaultdict(int)
    for code in rows:
        counts[town_prefix(code)] += 1
    return counts


def assessment(
    user: User,
    area: Region,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
) -> list[WorkerFigures]:
    """The figures of every worker of `area` over [start, end], directors first. A constant
    number of queries: assignments, visits, archives, reports, steps, inspections, villages,
    training and written assessments."""
    from supervision.selectors import assessments_for

    by_worker: dict[int, WorkerFigures] = {}
    for assignment in worker_assignments(user, area, start, end):
        figures = by_worker.get(assignment.user_id)
        if figures is None:
            figures = by_worker[assignment.user_id] = WorkerFigures(
                worker=assignment.user, role=assignment.role
            )
        elif assignment.role == Role.SUPERVISOR:
            figures.role = Role.SUPERVISOR  # a person in both roles is assessed as supervisor
        if assignment.region not in figures.regions:
            figures.regions.append(assignment.region)
    if not by_worker:
        return []
    ids = list(by_worker)
    visits = _visit_rows(user, area, ids, start, end)
    archives = _archive_rows(user, area, end)
    filed, steps = _report_rows(user, area, ids, start, end)
    supervisor_ids = [pk for pk, f in by_worker.items() if f.role == Role.SUPERVISOR]
    inspected = _inspection_rows(user, area, supervisor_ids, start, end) if supervisor_ids else {}
    villages = _villages_per_town(area) if supervisor_ids else {}
    statuses = {s.user_id: s for s in TrainingStatus.objects.filter(user_id__in=ids)}
    written = {
        a.worker_id: a for a in assessments_for(user).filter(worker_id__in=ids, year=end.year)
    }
    quarters = len(quarters_in(start, end))
    for pk, figures in by_worker.items():
        row = visits.get(pk, {})
        figures.visits_on_time, figures.visits_late = row.get("on_time", 0), row.get("late", 0)
        prefixes = [r.prefix for r in figures.regions]
        for code, arow in archives.items():
            if any(code.startswith(p) for p in prefixes):
                figures.archives += arow["total"]
                figures.archives_current += arow["current"]
        figures.reports_filed = filed.get(pk, 0)
        srow = steps.get(pk, {})
        figures.steps_on_time, figures.steps_late = srow.get("on_time", 0), srow.get("late", 0)
        if figures.role == Role.SUPERVISOR:
            towns = {town_prefix(r.code) for r in figures.regions}
            figures.inspections_expected = sum(villages.get(t, 0) for t in towns) * quarters
            figures.inspections_done = inspected.get(pk, 0)
        figures.training = statuses.get(pk)
        figures.rotation = figures.training.rotation_on(today) if figures.training else ""
        figures.written = written.get(pk)
    return sorted(
        by_worker.values(),
        key=lambda f: (f.role != Role.CHILD_DIRECTOR, f.regions[0].code, f.worker.real_name),
    )
