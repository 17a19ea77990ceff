"""Case plans (个案帮扶计划): the needs assessed per domain, goals, actions with who and when,
and a review date; submitted by the village's director and approved or returned (every
decision kept) by the town's supervisor, or, for a plan in a mandatory-report case, by district
civil affairs or the protection centre. An approved plan's open actions are work items.

Plans are scoped through the child's region (`child__region_code`), and an action without a
person is the child's current director's, so that a transfer of the child moves both without
a write."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.district_rules import DistrictRule
from core.scoping import ScopedQuerySet
from core.workitems import WorkItem


class Domain(models.TextChoices):
    SAFETY = "safety", _("Safety")
    GUARDIANSHIP = "guardianship", _("Guardianship")
    SCHOOLING = "schooling", _("Schooling")
    HEALTH = "health", _("Health")
    MENTAL = "mental", _("Mental state")
    LIVING = "living", _("Living security")
    ASSISTANCE = "assistance", _("Assistance")


class NeedLevel(models.TextChoices):
    NONE = "none", _("No need")
    SOME = "some", _("Some need")
    SERIOUS = "serious", _("Serious need")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")
    CLOSED = "closed", _("Closed")


# Plans being worked on: a child has at most one, and needs no new one.
OPEN_STATUSES = (PlanStatus.DRAFT, PlanStatus.REQUESTED, PlanStatus.APPROVED, PlanStatus.RETURNED)
# Plans the director may edit and submit.
EDITABLE_STATUSES = (PlanStatus.DRAFT, PlanStatus.RETURNED)


class CasePlanRule(DistrictRule):
    """A district's case plans: the months between reviews."""

    review_months = models.PositiveSmallIntegerField(_("review every (months)"), default=3)

    class Meta:
        verbose_name = _("case plan rule")
        verbose_name_plural = _("case plan rules")


class CasePlanQuerySet(ScopedQuerySet["CasePlan"]):
    scope_field = "child__region_code"

    def open(self) -> CasePlanQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class CasePlan(models.Model):
    """One child's plan. `needs` is {domain: {"level": NeedLevel, "note": str}} for every
    domain; `report` is the mandatory-report case the plan is a step of, if any."""

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(
        "children.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    report = models.ForeignKey(
        "reports.MandatoryReport",
        verbose_name=_("mandatory report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    needs = models.JSONField(_("needs"), default=dict)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    review_on = models.DateField(_("review by"))
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # The review date the director was last reminded of (caseplans.reminders): told once each.
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CasePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="one_open_plan_per_child",
            )
        ]
        indexes = [models.Index(fields=["status", "review_on"], name="caseplan_review")]

    def __str__(self) -> str:
        return f"{self.child_id}:{self.pk}"

    def need_rows(self) -> list[tuple[str, str, str, str]]:
        """(domain, domain label, level label, note) for every domain, in order."""
        levels = dict(NeedLevel.choices)
        rows = []
        for code, label in Domain.choices:
            need = self.needs.get(code) or {}
            level = need.get("level", NeedLevel.NONE)
            rows.append((code, str(label), str(levels.get(level, level)), need.get("note", "")))
        return rows


class Goal(models.Model):
    plan = models.ForeignKey(CasePlan, on_delete=models.CASCADE, related_name="goals")
    number = models.PositiveSmallIntegerField(_("number"))
    domain = models.CharField(_("domain"), max_length=12, choices=Domain.choices)
    text = models.CharField(_("goal"), max_length=300)

    class Meta:
        verbose_name = _("goal")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_goal_number_per_plan")
        ]

    def __str__(self) -> str:
        return self.text


class ActionQuerySet(ScopedQuerySet["PlanAction"]):
    scope_field = "plan__child__region_code"

    def live(self) -> ActionQuerySet:
        """The open actions of approved plans: the work items."""
        return self.filter(done=False, plan__status=PlanStatus.APPROVED)


class PlanAction(WorkItem):
    """What is to be done, by whom, by when. Who: a service provider, a named person, or
    neither (the child's current director). The child's director follows a provider's
    action."""

    plan = models.ForeignKey(CasePlan, on_delete=models.CASCADE, related_name="actions")
    goal = models.ForeignKey(
        Goal, verbose_name=_("goal"), on_delete=models.SET_NULL, null=True, blank=True
    )
    what = models.CharField(_("what"), max_length=300)
    provider = models.ForeignKey(
        "providers.ServiceProvider",
        verbose_name=_("service provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_on = models.DateField(_("set on"))
    escalated = models.PositiveSmallIntegerField(default=0)  # reminders sent: 1 owner, 2…3

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("case plan action")
        verbose_name_plural = _("case plan actions")
        ordering = ["done", "due_on", "pk"]
        indexes = [
            models.Index(fields=["done", "due_on"], name="planaction_open"),
            models.Index(fields=["person", "done"], name="planaction_person"),
        ]

    def __str__(self) -> str:
        return self.what


class DecisionKind(models.TextChoices):
    REQUESTED = "requested", _("Approval requested")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class PlanDecision(models.Model):
    """Every request and decision on a plan, kept."""

    plan = models.ForeignKey(CasePlan, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=10, choices=DecisionKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("case plan decision")
        ordering = ["plan", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.kind}"


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", _("Continue the plan")
    CHANGE = "change", _("Change the plan")
    CLOSE = "close", _("Close the plan")


class Progress(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    SOME = "some", _("Some progress")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("No longer needed")


class PlanReview(models.Model):
    """A review: each goal's progress ([{"goal": id, "text": str, "progress": Progress,
    "note": str}], the goal's text kept), and what becomes of the plan."""

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(CasePlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("reviewed on"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    progress = models.JSONField(_("progress"), default=list)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ReviewOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case plan review")
        ordering = ["plan", "reviewed_on", "pk"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.reviewed_on}"

    def progress_rows(self) -> list[tuple[str, str, str]]:
        labels = dict(Progress.choices)
        return [
            (p.get("text", ""), str(labels.get(p.get("progress", ""), "")), p.get("note", ""))
            for p in self.progress
        ]
