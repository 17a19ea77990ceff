"""Reads of supervision: written assessments, spot-checks and their progress, the checklist's
suggestions. All start from the scoping module and are set-based."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Substr
from django.utils.translation import gettext as _

from children.choices import ENTRUSTED, Category, Status
from children.models import Assistance, Child, Parent, Problem
from core import permissions, scoping
from core.regions import district_code, town_code, town_prefix
from core.roles import Role
from org.models import Region, User
from supervision.models import (
    CHECKLIST_FIELDS,
    AssessedRole,
    SpotCheck,
    SpotCheckItem,
    SpotCheckItemQuerySet,
    SpotCheckRectification,
    SpotCheckRectificationQuerySet,
    SpotCheckTown,
    WorkerAssessment,
)

# --- Written assessments ---------------------------------------------------------------------


def assessments_for(user: User) -> QuerySet[WorkerAssessment]:
    """Written assessments `user` may read: their own; a town supervisor's directors'; every
    director's and supervisor's of a civil-affairs district (the worker's supervisor chain)."""
    if user is None or not user.is_authenticated:
        return WorkerAssessment.objects.none()
    condition = Q(worker_id=user.pk)
    districts = scoping.role_scope(user, Role.CIVIL_AFFAIRS)
    if districts.prefixes:
        condition |= districts.q("region_code")
    towns = scoping.role_scope(user, Role.SUPERVISOR)
    if towns.prefixes:
        condition |= towns.q("region_code") & Q(role=AssessedRole.CHILD_DIRECTOR)
    return (
        WorkerAssessment.objects.filter(condition)
        .select_related("worker", "author", "region")
        .order_by("-year", "region_code", "worker__real_name", "pk")
    )


# --- Spot-checks ------------------------------------------------------------------------------

SPOT_CHECK_ROLES = (Role.CIVIL_AFFAIRS, Role.SUPERVISOR, Role.CHILD_DIRECTOR)


def sees_spot_checks(user: User) -> bool:
    return scoping.get_scope(user).has_role(*SPOT_CHECK_ROLES)


def spot_check_scope(user: User) -> scoping.Scope:
    """Where `user` reads spot-check results: civil affairs their district, a supervisor their
    town, a director their villages. The protection centre and admins: nowhere."""
    return scoping.role_scope(user, *SPOT_CHECK_ROLES)


def spot_checks_for(user: User) -> QuerySet[SpotCheck]:
    """Draws of the districts in which `user` holds a spot-check role (a supervisor or
    director then sees only their part of it)."""
    districts = {district_code(r.code) for r in scoping.get_scope(user).regions(*SPOT_CHECK_ROLES)}
    return (
        SpotCheck.objects.filter(region_code__in=sorted(districts))
        .select_related("district", "drawn_by")
        .order_by("-year", "region_code")
    )


def items_for(user: User) -> SpotCheckItemQuerySet:
    return SpotCheckItem.objects.visible_to(user).in_scope(spot_check_scope(user))


def town_items(user: User, *, spot_check: SpotCheck, town: str) -> SpotCheckItemQuerySet:
    """The items of `spot_check` in the town `town` (a 12-digit code) that `user` may see,
    with their child and its open rectifications (`open_items`), in region order."""
    return (
        items_for(user)
        .filter(spot_check=spot_check, region_code__startswith=town_prefix(town))
        .select_related("child", "child__village")
        .annotate(
            open_items=Count("rectifications", filter=Q(rectifications__done_on__isnull=True))
        )
        .order_by("region_code", "pk")
    )


def rectifications_for(user: User) -> SpotCheckRectificationQuerySet:
    return SpotCheckRectification.objects.visible_to(user).in_scope(spot_check_scope(user))


def may_draw(user: User) -> bool:
    return bool(permissions.managed_districts(user))


def may_check(user: User, item: SpotCheckItem) -> bool:
    """The checklist is kept by the district's civil-affairs staff."""
    return any(item.region_code.startswith(d.prefix) for d in permissions.managed_districts(user))


def may_complete(user: User, rectification: SpotCheckRectification) -> bool:
    """A rectification is marked done by the supervisor of the child's town or district civil
    affairs; directors see it."""
    code = rectification.item.region_code
    regions = scoping.get_scope(user).regions(Role.SUPERVISOR, Role.CIVIL_AFFAIRS)
    return any(code.startswith(r.prefix) for r in regions)


@dataclass
class TownProgress:
    town: Region
    population: int
    drawn: int
    checked: int = 0
    passed: int = 0
    open_items: int = 0
    overdue_items: int = 0

    @property
    def checked_pct(self) -> float | None:
        return round(100 * self.checked / self.drawn, 1) if self.drawn else None


@dataclass
class Progress:
    spot_check: SpotCheck
    towns: list[TownProgress] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.towns)


ALL_OK = Q(**dict.fromkeys(CHECKLIST_FIELDS, True))


def progress(user: User, spot_check: SpotCheck, today: datetime.date) -> Progress:
    """Per town of the draw that `user` may see: archives drawn, checked, passed (all five
    points confirmed) and rectification items open and overdue. Three queries."""
    # A director's part is their villages, inside the town's row.
    in_reach = Q(pk__in=[])
    for prefix in spot_check_scope(user).prefixes:
        if len(prefix) <= 9:
            in_reach |= Q(region_code__startswith=prefix)
        else:
            in_reach |= Q(region_code=town_code(prefix))
    towns = list(
        SpotCheckTown.objects.filter(in_reach, spot_check=spot_check)
        .select_related("town")
        .order_by("region_code")
    )
    items = (
        items_for(user)
        .filter(spot_check=spot_check)
        .annotate(town_prefix=Substr("region_code", 1, 9))
        .values("town_prefix")
        .annotate(
            drawn=Count("pk"),
            n_checked=Count("pk", filter=Q(checked_on__isnull=False)),
            n_passed=Count("pk", filter=Q(checked_on__isnull=False) & ALL_OK),
        )
        .order_by()
    )
    rects = (
        rectifications_for(user)
        .filter(item__spot_check=spot_check, done_on__isnull=True)
        .annotate(town_prefix=Substr("item__region_code", 1, 9))
        .values("town_prefix")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    )
    by_town = {row["town_prefix"]: row for row in items}
    rect_by_town = {row["town_prefix"]: row for row in rects}
    result = Progress(spot_check=spot_check)
    for town in towns:
        prefix = town_prefix(town.region_code)
        row = by_town.get(prefix, {})
        rect = rect_by_town.get(prefix, {})
        result.towns.append(
            TownProgress(
                town=town.town,
                population=town.population,
                drawn=row.get("drawn", 0),
                checked=row.get("n_checked", 0),
                passed=row.get("n_passed", 0),
                open_items=rect.get("open", 0),
                overdue_items=rect.get("overdue", 0),
            )
        )
    return result


def open_rectifications(user: User, today: datetime.date) -> QuerySet[SpotCheckRectification]:
    """Open spot-check rectification items `user` sees, overdue first then by due date."""
    return (
        rectifications_for(user)
        .filter(done_on__isnull=True)
        .select_related("item__child", "item__spot_check")
        .order_by("due_on", "pk")
    )


# --- The checklist's suggestions -------------------------------------------------------------

# Categories whose children are expected to receive some assistance (R13).
ASSISTED_CATEGORIES = (
    Category.POVERTY,
    Category.DISABILITY_ILLNESS,
    Category.ORPHAN,
    Category.UNSUPPORTED,
    Category.GUARDIANSHIP,
)


def _count(queryset: QuerySet[Any]) -> Any:
    return Coalesce(
        Subquery(
            queryset.order_by().values("child").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def with_archive_facts(children: QuerySet[Child]) -> QuerySet[Child]:
    """`children` annotated with what the checklist's suggestions read: parents recorded,
    assistance records, unsolved problems, membership of an assisted category. One query."""
    through = Child.categories.through
    return children.annotate(
        parent_count=_count(Parent.objects.filter(child=OuterRef("pk"))),
        assistance_count=_count(Assistance.objects.filter(child=OuterRef("pk"))),
        problem_count=_count(Problem.objects.filter(child=OuterRef("pk"))),
        unsolved_count=_count(
            Problem.objects.filter(child=OuterRef("pk"), solved_on__isnull=True, solution="")
        ),
        needs_assistance=Exists(
            through.objects.filter(
                child_id=OuterRef("pk"), categorytag_id__in=list(ASSISTED_CATEGORIES)
            )
        ),
    )


def suggestions(child: Child, today: datetime.date) -> dict[str, dict[str, Any]]:
    """Pre-filled answers of the checklist for one archive annotated by
    `with_archive_facts`: per point, `ok` and the notes that explain it."""
    facts: Any = child
    result: dict[str, dict[str, Any]] = {}

    notes = []
    if not child.id_masked:
        notes.append(_("No ID number recorded."))
    for name, label in (
        ("ethnicity", _("ethnicity")),
        ("hukou_address", _("place of household registration")),
        ("address", _("current address")),
    ):
        if not getattr(child, name):
            notes.append(_("Missing: %(field)s.") % {"field": label})
    result["identity_ok"] = {"ok": not notes, "notes": notes}

    notes = []
    if not child.guardian_type:
        notes.append(_("No guardian type recorded."))
    if not child.guardianship_quality:
        notes.append(_("No guardianship quality recorded."))
    if child.guardian_type in ENTRUSTED:
        if not (child.carer_name and child.carer_phone):
            notes.append(_("The entrusted carer's name or phone is missing."))
        if child.entrustment_signed_on is None:
            notes.append(_("No signed entrusted-guardianship confirmation (R12)."))
    if not facts.parent_count:
        notes.append(_("No parent recorded."))
    result["guardianship_ok"] = {"ok": not notes, "notes": notes}

    notes = []
    if child.status == Status.ACTIVE:
        if child.next_contact_due is not None and child.next_contact_due < today:
            notes.append(
                _("Contact overdue since %(date)s.") % {"date": child.next_contact_due.isoformat()}
            )
        if child.next_home_visit_due is not None and child.next_home_visit_due < today:
            notes.append(
                _("Home visit overdue since %(date)s.")
                % {"date": child.next_home_visit_due.isoformat()}
            )
    result["visits_ok"] = {"ok": not notes, "notes": notes}

    notes = []
    if facts.needs_assistance and not facts.assistance_count:
        notes.append(_("A child in difficulty with no assistance recorded."))
    elif not facts.assistance_count:
        notes.append(_("No assistance recorded (none required by the child's categories)."))
    ok = bool(facts.assistance_count) or not facts.needs_assistance
    result["assistance_ok"] = {"ok": ok, "notes": notes}

    notes = []
    if facts.unsolved_count:
        notes.append(
            _("%(n)d of %(total)d problems found have no solution recorded.")
            % {"n": facts.unsolved_count, "total": facts.problem_count}
        )
    result["problems_ok"] = {"ok": not facts.unsolved_count, "notes": notes}
    return result
