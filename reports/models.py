"""Mandatory reports (R17) and their closed loop (R18): a report, and the append-only steps
that follow it (emergency response, assessment, assistance plan, guardianship intervention,
closure). A step is never edited or deleted; a correction is a new step referencing the old.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.district_rules import DistrictRule
from core.scoping import ScopedQuerySet
from notifications.models import EscalationLevel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Situation(models.TextChoices):
    # R17 (the policy)
    ALONE_UNGUARDED = "alone_unguarded", _("Living alone without guardianship")
    MISSING = "missing", _("Missing")
    GUARDIAN_INCAPABLE = "guardian_incapable", _("Guardian lost capacity")
    GUARDIAN_NEGLECT = "guardian_neglect", _("Guardian not performing duties")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Suspected domestic violence")
    ACCIDENTAL_INJURY = "accidental_injury", _("Suspected accidental injury")
    UNLAWFUL_HARM = "unlawful_harm", _("Suspected unlawful harm")
    # The national mandatory-reporting rules (2020)
    GENITAL_INJURY = "genital_injury", _("Non-accidental injury to genitals or private parts")
    SEXUAL_ASSAULT_UNDER_14 = (
        "sexual_assault_under_14",
        _("Sexual assault, pregnancy or abortion of a girl under 14"),
    )
    PREGNANCY_ASSAULT_14 = (
        "pregnancy_assault_14",
        _("Pregnancy or abortion from sexual assault of a girl 14 or older"),
    )
    MULTIPLE_INJURIES = (
        "multiple_injuries",
        _(
            "Multiple injuries, severe malnutrition or unconsciousness with suspected violence, "
            "bullying, abuse or drugging"
        ),
    )
    DISABILITY_OR_DEATH = (
        "disability_or_death",
        _(
            "Disability or death from suicide, self-harm, poisoning, beating or other "
            "non-accidental cause"
        ),
    )
    ABANDONED = "abandoned", _("Abandoned or long without care")
    TRAFFICKED = "trafficked", _("Of unknown origin, trafficked or bought")
    BEGGING = "begging", _("Organised begging")
    OTHER_HARM = "other_harm", _("Other serious harm or danger")


class Stage(models.TextChoices):
    REPORTED = "reported", _("Reported")
    EMERGENCY_RESPONSE = "emergency_response", _("Emergency response")
    ASSESSMENT = "assessment", _("Assessment")
    ASSISTANCE_PLAN = "assistance_plan", _("Assistance plan")
    GUARDIANSHIP_INTERVENTION = "guardianship_intervention", _("Guardianship intervention")
    CLOSED = "closed", _("Closed")


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)


class StepKind(models.TextChoices):
    REPORT = "report", _("Report filed")
    ACKNOWLEDGE = "acknowledge", _("Acknowledged")
    STAGE = "stage", _("Stage reached")
    PROGRESS = "progress", _("Progress")
    CONSULTATION = "consultation", _("Case consultation")
    CORRECTION = "correction", _("Correction")
    REOPEN = "reopen", _("Reopened")
    # R19: the guardian refuses to perform their duties; `done_at` is when the refusal began.
    REFUSAL = "refusal", _("Guardian refuses duties")
    # A report filed for an unregistered child, linked to the child's archive later.
    LINK = "link", _("Linked to a child's archive")
    # Explicit sharing with a named person outside the region, and its revocation.
    SHARE = "share", _("Shared")
    UNSHARE = "unshare", _("Sharing revoked")


# The kinds of step only the system writes (filing, linking to an archive, sharing and its
# revocation: each through its own service); the rest are what a person may record.
SYSTEM_STEP_KINDS: tuple[str, ...] = (
    StepKind.REPORT,
    StepKind.LINK,
    StepKind.SHARE,
    StepKind.UNSHARE,
)
PERSON_STEP_KINDS: list[tuple[str, StrOrPromise]] = [
    (k, label) for k, label in StepKind.choices if k not in SYSTEM_STEP_KINDS
]


class MandatoryReportQuerySet(ScopedQuerySet["MandatoryReport"]):
    scope_field = "region_code"

    def open(self) -> MandatoryReportQuerySet:
        return self.exclude(stage=Stage.CLOSED)


class MandatoryReport(models.Model):
    """A report of a child in danger: filed once (idempotent on client_uuid), then followed
    through its steps. `stage`, `acknowledged_at` and the next expected step are kept here
    from the latest steps so the open-cases list reads one row per case."""

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(
        "children.Child",
        verbose_name=_("child"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mandatory_reports",
    )
    child_description = models.TextField(
        _("description of an unregistered child"),
        blank=True,
        help_text=_("Name if known, sex, approximate age, appearance."),
    )
    location = models.CharField(_("where the child was found"), max_length=200, blank=True)
    # The visit that found the child in danger, when the report was filed from it.
    visit = models.ForeignKey(
        "visits.Visit",
        verbose_name=_("visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mandatory_reports",
    )
    village = models.ForeignKey(
        "org.Region",
        verbose_name=_("village/community"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region_code = models.CharField(max_length=12, editable=False, db_index=True)
    situations = models.JSONField(_("situations"), default=list)
    found_at = models.DateTimeField(_("found at"))
    how_found = models.TextField(_("how it was found"), blank=True)
    what_seen = models.TextField(_("what was seen"), blank=True)
    immediate_danger = models.BooleanField(_("child in immediate danger"), default=False)
    police_station = models.CharField(_("police station"), max_length=100, blank=True)
    police_reported_at = models.DateTimeField(_("reported to the police at"), null=True, blank=True)
    police_officer = models.CharField(_("police officer"), max_length=50, blank=True)
    police_receipt = models.CharField(_("police receipt number"), max_length=50, blank=True)
    civil_affairs_informed = models.BooleanField(_("civil affairs informed"), default=False)
    education_informed = models.BooleanField(_("education informed"), default=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    stage = models.CharField(
        _("stage"), max_length=30, choices=Stage.choices, default=Stage.REPORTED
    )
    stage_since = models.DateTimeField(_("in this stage since"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    next_step = models.CharField(_("next step expected"), max_length=200, blank=True)
    next_due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)

    objects = MandatoryReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandatory report")
        verbose_name_plural = _("mandatory reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["region_code", "stage"], name="report_scope_stage"),
            models.Index(fields=["stage", "next_due_at"], name="report_stage_due"),
        ]

    def __str__(self) -> str:
        return f"{self.child_label} · {self.created_at:%Y-%m-%d}" if self.created_at else "—"

    @property
    def child_label(self) -> str:
        if self.child_id is not None and self.child is not None:
            return self.child.name
        return (
            (self.child_description or "").splitlines()[0][:40] if self.child_description else "—"
        )

    def situation_labels(self) -> list[str]:
        labels = dict(Situation.choices)
        return [str(labels.get(code, code)) for code in self.situations]


class AppendOnlyStepQuerySet(ScopedQuerySet["ReportStep"]):
    scope_field = "report__region_code"

    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Report steps are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Report steps are append-only.")


class ReportStep(models.Model):
    """One step of a report's closed loop. Rows are only inserted: the models refuse updates
    and deletes, and the database refuses them too (migration 0002's triggers)."""

    report = models.ForeignKey(
        MandatoryReport, verbose_name=_("report"), on_delete=models.PROTECT, related_name="steps"
    )
    stage = models.CharField(_("stage"), max_length=30, choices=Stage.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    what = models.TextField(_("what was done"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("when"))
    child_location = models.CharField(_("where the child is now"), max_length=200, blank=True)
    next_step = models.CharField(_("next step expected"), max_length=200, blank=True)
    next_due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = AppendOnlyStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("report step")
        verbose_name_plural = _("report steps")
        ordering = ["created_at", "pk"]
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return f"{self.get_stage_display()} · {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Report steps are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Report steps are append-only.")


class ReportEscalation(models.Model):
    """One alert about an overdue expected step, to one person at one level. The unique key
    makes the sweep idempotent: a deadline escalates once per person and level, however
    many times the sweep runs."""

    report = models.ForeignKey(MandatoryReport, on_delete=models.CASCADE, related_name="+")
    deadline = models.DateTimeField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices)
    notification = models.OneToOneField(
        "notifications.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "deadline", "recipient", "level"], name="report_escalation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.deadline:%Y-%m-%d %H:%M} · {self.level}"


def _default_escalation_delay() -> int:
    return settings.REPORT_ESCALATION_DELAY_HOURS


class ReportDeadlineRule(DistrictRule):
    """A district's deadlines for the closed loop (R18) and the delay before an overdue step
    escalates from the town supervisor to the district; without a row the defaults apply
    (reports.workflow.DEFAULT_DEADLINES). A change applies to deadlines set from then on: the
    deadlines already given to open cases stay as their steps recorded them."""

    emergency_response_hours = models.PositiveSmallIntegerField(
        _("hours after the report to record the emergency response"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
    )
    assessment_days = models.PositiveSmallIntegerField(
        _("days after the report to record the assessment"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    assistance_plan_days = models.PositiveSmallIntegerField(
        _("days after the report to record the assistance plan"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    escalation_delay_hours = models.PositiveSmallIntegerField(
        _("hours overdue before district civil affairs and the protection centre are alerted"),
        default=_default_escalation_delay,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )

    class Meta:
        verbose_name = _("report deadline rule")
        verbose_name_plural = _("report deadline rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(emergency_response_hours__gt=0)
                & Q(assessment_days__gt=0)
                & Q(assistance_plan_days__gt=0)
                & Q(escalation_delay_hours__gt=0),
                name="report_deadline_rule_positive",
            )
        ]

    def __str__(self) -> str:
        return str(self.district_id)
