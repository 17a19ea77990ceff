"""The risk level of a child (R15, 003 (六), 004 8): the facts it is computed from (one
`RiskSignal` per reason, with the record and date it comes from), every change of level
(`RiskChange`), and the district's weights and thresholds (`RiskRule`). The rule is in
children.risk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from core.district_rules import DistrictRule
from core.scoping import ScopedQuerySet


class RiskLevel(models.IntegerChoices):
    """Four tiers, stored as a rank so that "higher risk first" is an ORDER BY."""

    LOW = 1, _("Low risk")
    MODERATE = 2, _("Moderate risk")
    ELEVATED = 3, _("Elevated risk")
    HIGH = 4, _("High risk")


class RiskSource(models.TextChoices):
    ARCHIVE = "archive", _("the archive")
    VISIT = "visit", _("a visit")
    REPORT = "report", _("a mandatory report")
    FINDING = "finding", _("a finding from another department's list")
    RULE = "rule", _("the district's risk rule")


class ChildRisk(models.Model):
    """A child's level, score and reasons (a copy of its RiskSignal rows, written with them,
    for the page, the API and lists without another query): one narrow row per child that
    has or had reasons; a child without one is low risk, with no reasons (`Child.risk_level`).

    Kept beside the archive's row, not in it: a department's list moves some 150,000
    children's levels at once, and rewriting their archive rows (27 indexes each) took 100 s
    at 1,000,000 children, where these rows take seconds."""

    child = models.OneToOneField(
        "children.Child", primary_key=True, on_delete=models.CASCADE, related_name="risk"
    )
    level = models.PositiveSmallIntegerField(
        _("risk level"), choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    score = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.child_id} {self.level}"


def level_at_least_q(level: int, child: str = "pk") -> Q:
    """A filter on children (`child` the lookup of the child's id) selecting those whose risk
    level is `level` or higher: an EXISTS on their ChildRisk row, which also works inside an
    UPDATE of the children (the cadence's due dates), where a join may not."""
    return Q(Exists(ChildRisk.objects.filter(child_id=OuterRef(child), level__gte=level)))


class RiskSignal(models.Model):
    """One reason that counts toward a child's level: from which source, which record (a visit,
    a report, a finding; none for the archive's own facts) and since which date. One row per
    child and reason (children.risk keeps the latest record of a reason)."""

    child = models.ForeignKey(
        "children.Child", on_delete=models.CASCADE, related_name="risk_signals"
    )
    source = models.CharField(max_length=8, choices=RiskSource.choices)
    code = models.CharField(max_length=32)
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    dated = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child", "code"], name="risk_signal_child_code")
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.code}"


class RiskChangeQuerySet(ScopedQuerySet["RiskChange"]):
    scope_field = "region_code"


class RiskChange(models.Model):
    """A change of a child's level: from, to, the score, what caused it and the reasons then
    (empty for a change by the district's rule, written set-based: the reasons are the same
    as before, only their weights changed)."""

    child = models.ForeignKey(
        "children.Child", on_delete=models.CASCADE, related_name="risk_changes"
    )
    region_code = models.CharField(max_length=12)
    from_level = models.PositiveSmallIntegerField(choices=RiskLevel.choices)
    to_level = models.PositiveSmallIntegerField(choices=RiskLevel.choices)
    score = models.PositiveSmallIntegerField()
    cause = models.CharField(max_length=8, choices=RiskSource.choices)
    reasons = models.JSONField(default=list, blank=True)
    changed_at = models.DateTimeField()
    changed_on = models.DateField()

    objects = RiskChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(fields=["changed_on", "region_code"], name="risk_change_day_region"),
            models.Index(fields=["child", "changed_at"], name="risk_change_child"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.from_level}->{self.to_level}"

    @property
    def rose(self) -> bool:
        return self.to_level > self.from_level


def _weight(label: StrOrPromise, default: int) -> models.PositiveSmallIntegerField[int, int]:
    return models.PositiveSmallIntegerField(label, default=default)


class RiskRule(DistrictRule):
    """A district's weights and thresholds. A child's score is the sum of the weights of its
    reasons; the level is the highest tier whose threshold the score reaches. Defaults from
    the policy: each condition of 003 (六) and 004 8 makes a child at least 较高 (like a key
    child, R15), danger found, an open mandatory report or no guardian at all make it 高, and so
    do two conditions together; an open finding from another department makes it 一般 until
    checked."""

    w_no_guardian = _weight(_("No guardian"), 8)
    w_one_away_other_unable = _weight(_("One parent away and the other unable to guard"), 4)
    w_carer_unfit = _weight(_("The entrusted carer lacks capacity or neglects the child"), 4)
    w_dropped_out = _weight(_("Dropped out of school"), 4)
    w_child_disabled = _weight(_("The child is disabled"), 4)
    w_child_ill = _weight(_("The child is seriously ill"), 4)
    w_parent_disabled = _weight(_("A parent is severely disabled"), 4)
    w_psychological = _weight(_("Psychological or behavioural concern"), 4)
    w_danger_found = _weight(_("The latest visit found the child in danger"), 8)
    w_visit_guardianship = _weight(_("The latest visit found guardianship poor"), 4)
    w_visit_mental = _weight(_("The latest visit found a concern about mental state"), 4)
    w_open_report = _weight(_("An open mandatory report"), 8)
    w_open_finding = _weight(_("An open finding from another department's list"), 2)
    moderate_from = _weight(_("Moderate risk from a score of"), 2)
    elevated_from = _weight(_("Elevated risk from a score of"), 4)
    high_from = _weight(_("High risk from a score of"), 8)
    monthly_home_visit_from = models.PositiveSmallIntegerField(
        _("home visit every month (like key children) from the level"),
        choices=[(0, _("No level")), *RiskLevel.choices[1:]],
        default=RiskLevel.HIGH,
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(moderate_from__gt=0)
                & models.Q(elevated_from__gt=models.F("moderate_from"))
                & models.Q(high_from__gt=models.F("elevated_from")),
                name="risk_rule_thresholds_rise",
            )
        ]
