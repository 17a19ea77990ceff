"""Supervision: annual written assessments of workers (R5) and the district's annual archive
spot-check (R11) with its checklist and rectification items."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.scoping import ScopedQuerySet
from core.workitems import WorkItem


class Rating(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")  # 优秀
    COMPETENT = "competent", _("Competent")  # 称职
    BASICALLY_COMPETENT = "basically_competent", _("Basically competent")  # 基本称职
    INCOMPETENT = "incompetent", _("Incompetent")  # 不称职


class AssessedRole(models.TextChoices):
    CHILD_DIRECTOR = "child_director", _("Child director")
    SUPERVISOR = "supervisor", _("Child supervisor")


class WorkerAssessmentQuerySet(ScopedQuerySet["WorkerAssessment"]):
    scope_field = "region_code"


class WorkerAssessment(models.Model):
    """One worker's annual written assessment (考核): a town supervisor writes it for each
    director of the town, district civil affairs for each supervisor. One per worker and
    year; its author corrects it (every version is kept)."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    role = models.CharField(_("role assessed"), max_length=20, choices=AssessedRole.choices)
    # The region where the worker served (a director's village, a supervisor's town): the
    # assessment is scoped by it.
    region = models.ForeignKey(
        "org.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=12, editable=False)
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices)
    text = models.TextField(_("written assessment"), max_length=4000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = WorkerAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("worker assessment")
        verbose_name_plural = _("worker assessments")
        ordering = ["-year", "region_code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "year"], name="assessment_once_a_year")
        ]
        indexes = [models.Index(fields=["region_code", "year"], name="assessment_scope_year")]

    def __str__(self) -> str:
        return f"{self.worker} · {self.year} · {self.get_rating_display()}"


# --- Annual archive spot-check (R11) ----------------------------------------------------------


class SpotCheckQuerySet(ScopedQuerySet["SpotCheck"]):
    scope_field = "region_code"


class SpotCheck(models.Model):
    """A district's annual draw of archives to check. Drawn once per district and year; the
    seed is recorded, so the same seed over the same children gives the same sample."""

    district = models.ForeignKey(
        "org.Region", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=12, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    percentage = models.PositiveSmallIntegerField(_("sample (percent of each town's archives)"))
    seed = models.BigIntegerField(_("random seed"))
    population = models.PositiveIntegerField(_("active archives"), default=0)
    sample_size = models.PositiveIntegerField(_("archives drawn"), default=0)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    objects = SpotCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("archive spot-check")
        verbose_name_plural = _("archive spot-checks")
        ordering = ["-year", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="spot_check_once_a_year"),
            models.CheckConstraint(
                condition=Q(percentage__gte=1) & Q(percentage__lte=100),
                name="spot_check_percentage_1_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.year}"


class SpotCheckTownQuerySet(ScopedQuerySet["SpotCheckTown"]):
    scope_field = "region_code"


class SpotCheckTown(models.Model):
    """The size of one town's part of a draw: its active archives and how many were drawn."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="towns")
    town = models.ForeignKey(
        "org.Region", verbose_name=_("town/street"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=12, editable=False)
    population = models.PositiveIntegerField(_("active archives"))
    sample_size = models.PositiveIntegerField(_("archives drawn"))

    objects = SpotCheckTownQuerySet.as_manager()

    class Meta:
        verbose_name = _("town in a spot-check")
        verbose_name_plural = _("towns in a spot-check")
        ordering = ["region_code"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "town"], name="spot_check_town_once")
        ]

    def __str__(self) -> str:
        return f"{self.spot_check} · {self.town}"


# The checklist of one archive: (field name, label). Each is confirmed by the checker.
CHECKLIST: tuple[tuple[str, Any], ...] = (
    ("identity_ok", _("Identity is complete")),
    ("guardianship_ok", _("Guardianship is complete")),
    ("visits_ok", _("Visits are on cadence")),
    ("assistance_ok", _("Assistance is recorded")),
    ("problems_ok", _("Problems found have solutions")),
)
CHECKLIST_FIELDS: tuple[str, ...] = tuple(name for name, _label in CHECKLIST)


class SpotCheckItemQuerySet(ScopedQuerySet["SpotCheckItem"]):
    scope_field = "region_code"


class SpotCheckItem(models.Model):
    """One drawn archive and its check. `checked_on` is empty until the checker confirms the
    checklist; a later correction is kept in the history."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    child = models.ForeignKey(
        "children.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    # The child's village when drawn: scoping and the per-town breakdown.
    region_code = models.CharField(max_length=12, editable=False)
    identity_ok = models.BooleanField(_("identity is complete"), null=True)
    guardianship_ok = models.BooleanField(_("guardianship is complete"), null=True)
    visits_ok = models.BooleanField(_("visits are on cadence"), null=True)
    assistance_ok = models.BooleanField(_("assistance is recorded"), null=True)
    problems_ok = models.BooleanField(_("problems found have solutions"), null=True)
    suggested = models.JSONField(_("suggestions from the archive"), default=dict, blank=True)
    findings = models.TextField(_("findings"), max_length=4000, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_on = models.DateField(_("checked on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = SpotCheckItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot-checked archive")
        verbose_name_plural = _("spot-checked archives")
        ordering = ["region_code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "child"], name="spot_check_child_once")
        ]
        indexes = [
            models.Index(fields=["spot_check", "region_code"], name="spot_item_check_region"),
            models.Index(fields=["region_code", "checked_on"], name="spot_item_region_checked"),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check} · {self.child_id}"

    @property
    def checked(self) -> bool:
        return self.checked_on is not None

    @property
    def passed(self) -> bool | None:
        """All five areas confirmed complete; None while unchecked."""
        if not self.checked:
            return None
        return all(getattr(self, name) for name in CHECKLIST_FIELDS)


class SpotCheckRectificationQuerySet(ScopedQuerySet["SpotCheckRectification"]):
    scope_field = "item__region_code"


class SpotCheckRectification(WorkItem):
    item = models.ForeignKey(SpotCheckItem, on_delete=models.CASCADE, related_name="rectifications")
    text = models.CharField(_("rectification"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = SpotCheckRectificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot-check rectification item")
        verbose_name_plural = _("spot-check rectification items")
        ordering = ["done_on", "due_on", "pk"]
        indexes = [models.Index(fields=["done_on", "due_on"], name="spot_rect_open_due")]

    def __str__(self) -> str:
        return self.text
