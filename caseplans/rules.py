"""Who needs a plan, who writes and who approves it, and the district's review interval.

A child needs a plan when key (R10), at the top two risk tiers (children.risk), or in an open
mandatory-report case. The director of the child's village writes and submits it; the
supervisor of the child's town approves it, or, for a plan that is a step of a mandatory-report
case, district civil affairs or the protection centre."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from caseplans.models import CasePlan, CasePlanRule
from children.models import Child
from children.models_risk import RiskLevel, level_at_least_q
from core.calendar import add_months
from core.regions import district_code, district_prefix, town_code
from core.roles import Role
from core.scoping import get_scope, role_scope
from org.models import User
from org.selectors import staff_serving
from reports.models import MandatoryReport, Stage

# Risk levels whose children need a plan: the top tiers.
PLAN_FROM_LEVEL = RiskLevel.ELEVATED
DEFAULT_REVIEW_MONTHS = 3
WRITER_ROLES = (Role.CHILD_DIRECTOR,)
SUPERVISOR_ROLES = (Role.SUPERVISOR,)
CASE_ROLES = (Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)


def open_report_q(child_field: str = "pk") -> Exists:
    return Exists(
        MandatoryReport.objects.filter(child_id=OuterRef(child_field)).exclude(stage=Stage.CLOSED)
    )


def needs_plan_q(child_prefix: str = "") -> Q:
    """A filter on children (or rows related through `child_prefix`, e.g. "child__") selecting
    those who need a plan."""
    return (
        Q(**{f"{child_prefix}is_key": True})
        | level_at_least_q(PLAN_FROM_LEVEL, f"{child_prefix}pk" if child_prefix else "pk")
        | Q(open_report_q(f"{child_prefix}pk" if child_prefix else "pk"))
    )


def needs_plan(child: Child) -> bool:
    return bool(
        child.is_key
        or child.risk_level >= PLAN_FROM_LEVEL
        or MandatoryReport.objects.filter(child_id=child.pk).exclude(stage=Stage.CLOSED).exists()
    )


def open_report(child: Child) -> MandatoryReport | None:
    """The child's open mandatory-report case (the latest), of which a new plan is a step."""
    return (
        MandatoryReport.objects.filter(child_id=child.pk)
        .exclude(stage=Stage.CLOSED)
        .order_by("-found_at", "-pk")
        .first()
    )


def review_months(region_code: str) -> int:
    rule = CasePlanRule.objects.filter(district__code=district_code(region_code)).first()
    return rule.review_months if rule else DEFAULT_REVIEW_MONTHS


def next_review(region_code: str, start: datetime.date) -> datetime.date:
    return add_months(start, review_months(region_code))


def may_write(user: User, child: Child) -> bool:
    """The director of the child's village."""
    return role_scope(user, *WRITER_ROLES).covers(child.region_code)


def approver_roles(plan: CasePlan) -> tuple[str, ...]:
    return CASE_ROLES if plan.report_id else SUPERVISOR_ROLES


def may_approve(user: User, plan: CasePlan) -> bool:
    return role_scope(user, *approver_roles(plan)).covers(plan.child.region_code)


def approvers(plan: CasePlan) -> list[User]:
    """Who approves `plan`: the supervisors of the child's town, or the district's civil
    affairs and protection centre for a plan in a mandatory-report case."""
    code = plan.child.region_code
    if plan.report_id:
        served = staff_serving(roles=CASE_ROLES, codes=[district_code(code)])
    else:
        served = staff_serving(roles=SUPERVISOR_ROLES, codes=[town_code(code)])
    return _users(served)


def directors(region_code: str) -> list[User]:
    return _users(staff_serving(roles=WRITER_ROLES, codes=[region_code]))


def _users(served: object) -> list[User]:
    seen: dict[int, User] = {}
    for assignment in served.select_related("user"):  # type: ignore[attr-defined]
        seen.setdefault(assignment.user_id, assignment.user)
    return list(seen.values())


def may_act_for(person: User, child: Child) -> bool:
    """A named person of an action serves the child's region."""
    return get_scope(person).covers(child.region_code)


def providers_prefix(child: Child) -> str:
    return district_prefix(child.region_code)
