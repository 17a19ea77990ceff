"""Reads of case plans, every one from the user's scope."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from caseplans import rules
from caseplans.models import (
    OPEN_STATUSES,
    CasePlan,
    CasePlanQuerySet,
    PlanAction,
    PlanDecision,
    PlanReview,
    PlanStatus,
)
from caseplans.who import who_value
from children.choices import Status
from children.models import Child
from core.regions import district_code, town_code
from core.roles import Role
from core.scoping import get_scope, role_scope
from org.models import User
from org.selectors import staff_serving
from providers.models import ServiceProvider

MY_LIMIT = 50


def plans_for(user: User, params: Mapping[str, str]) -> CasePlanQuerySet:
    """The plans `user` may see, newest first; `status` filters ("open" for those being
    worked on), `child` one child's."""
    plans = CasePlan.objects.visible_to(user)
    status = params.get("status") or ""
    if status == "open":
        plans = plans.filter(status__in=OPEN_STATUSES)
    elif status in PlanStatus.values:
        plans = plans.filter(status=status)
    if (params.get("child") or "").isdigit():
        plans = plans.filter(child_id=int(params["child"]))
    return plans.select_related("child", "child__village").order_by("-created_at", "-pk")


def approval_queue(user: User) -> CasePlanQuerySet:
    """The plans awaiting `user`'s approval: their towns' plans for a supervisor, their
    districts' plans in a mandatory-report case for civil affairs and the protection centre;
    the oldest request first."""
    towns = role_scope(user, *rules.SUPERVISOR_ROLES)
    districts = role_scope(user, *rules.CASE_ROLES)
    condition = (towns.q("child__region_code") & Q(report__isnull=True)) | (
        districts.q("child__region_code") & Q(report__isnull=False)
    )
    return (
        CasePlan.objects.visible_to(user)
        .filter(condition, status=PlanStatus.REQUESTED)
        .select_related("child", "child__village", "created_by")
        .order_by("updated_at", "pk")
    )


def children_without_plan(user: User) -> QuerySet[Child]:
    """The active children `user` may see who need a plan and have none being worked on."""
    open_plan = CasePlan.objects.filter(child_id=OuterRef("pk"), status__in=OPEN_STATUSES)
    return (
        Child.objects.visible_to(user)
        .filter(rules.needs_plan_q(), status=Status.ACTIVE)
        .exclude(Exists(open_plan))
        .select_related("village")
        .order_by("region_code", "name_pinyin", "pk")
    )


def mine_q(user: User) -> Q:
    """Actions that are `user`'s: named, or without a person in a village they direct (the
    child's current director, whoever she is)."""
    villages = role_scope(user, Role.CHILD_DIRECTOR)
    return Q(person=user) | (Q(person__isnull=True) & villages.q("plan__child__region_code"))


def my_actions(user: User, limit: int = MY_LIMIT) -> list[PlanAction]:
    """The open actions of approved plans that are `user`'s, the earliest due first: a section
    of "my work". One query, whatever the number of actions."""
    if not get_scope(user).prefixes:
        return []
    return list(
        PlanAction.objects.visible_to(user)
        .live()
        .filter(mine_q(user))
        .select_related("plan__child", "provider", "goal")
        .order_by("due_on", "pk")[:limit]
    )


def actions_for(user: User, params: Mapping[str, str]) -> QuerySet[PlanAction]:
    """Actions `user` may see ("mine" for theirs; "open" for approved plans' open ones)."""
    actions = PlanAction.objects.visible_to(user)
    if params.get("mine"):
        actions = actions.filter(mine_q(user))
    if params.get("open"):
        actions = actions.live()
    return actions.select_related("plan__child", "provider", "person", "goal", "done_by").order_by(
        "done", "due_on", "pk"
    )


def plan_detail_queryset() -> CasePlanQuerySet:
    """Plans with everything their page shows, in a fixed number of queries."""
    return CasePlan.objects.select_related(
        "child", "child__village", "created_by", "report"
    ).prefetch_related(
        "goals",
        Prefetch(
            "actions",
            queryset=PlanAction.objects.select_related("provider", "person", "goal", "done_by"),
        ),
        Prefetch("decisions", queryset=PlanDecision.objects.select_related("by")),
        Prefetch("reviews", queryset=PlanReview.objects.select_related("by")),
    )


def who_choices(child: Child) -> list[tuple[str, str]]:
    """The "who" of an action: the district's active providers, and the people serving the
    child's village, town and district (two queries)."""
    code = child.region_code
    providers = ServiceProvider.objects.filter(
        district__code=district_code(code), active=True
    ).order_by("name")
    choices = [(who_value(p.pk, None), f"{p.name}（{p.get_kind_display()}）") for p in providers]
    seen: set[int] = set()
    served = (
        staff_serving(
            roles=[
                Role.CHILD_DIRECTOR,
                Role.SUPERVISOR,
                Role.CIVIL_AFFAIRS,
                Role.PROTECTION_CENTRE,
            ],
            codes=[code, town_code(code), district_code(code)],
        )
        .select_related("user")
        .order_by("role", "user__username")
    )
    for assignment in served:
        if assignment.user_id in seen:
            continue
        seen.add(assignment.user_id)
        user = assignment.user
        name = user.real_name or user.username
        choices.append((who_value(None, user.pk), f"{name}（{assignment.get_role_display()}）"))
    return choices
