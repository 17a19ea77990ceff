"""Visits (R14/R15), the district's cadence rule, and village inspections (R16)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.district_rules import DistrictRule
from core.scoping import ScopedQuerySet
from core.workitems import WorkItem


class VisitKind(models.TextChoices):
    PHONE = "phone", _("Contact by phone")
    VIDEO = "video", _("Contact by video")
    IN_PERSON = "in_person", _("Contact in person")
    HOME = "home_visit", _("Home visit")


# Kinds that do not count as a contact for a key child (R15: 100% in person).
REMOTE_KINDS = (VisitKind.PHONE, VisitKind.VIDEO)
IN_PERSON_KINDS = (VisitKind.IN_PERSON, VisitKind.HOME)


class Finding(models.TextChoices):
    FINE = "fine", _("Fine")
    CONCERN = "concern", _("Concern")


# The six areas a visit looks at: (field name, label).
FINDING_AREAS: tuple[tuple[str, Any], ...] = (
    ("safety", _("Safety")),
    ("guardianship", _("Guardianship")),
    ("schooling", _("Schooling")),
    ("health", _("Health")),
    ("mental", _("Mental state")),
    ("living", _("Living conditions")),
)


def _finding() -> models.CharField[str, str]:
    return models.CharField(max_length=8, choices=Finding.choices, default=Finding.FINE)


def _note() -> models.CharField[str, str]:
    return models.CharField(max_length=300, blank=True)


class VisitQuerySet(ScopedQuerySet["Visit"]):
    scope_field = "child__region_code"


class Visit(models.Model):
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(
        "children.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="visits"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VisitKind.choices)
    visit_date = models.DateField(_("date"))
    seen = models.CharField(_("who was seen"), max_length=200, blank=True)

    safety = _finding()
    safety_note = _note()
    guardianship = _finding()
    guardianship_note = _note()
    schooling = _finding()
    schooling_note = _note()
    health = _finding()
    health_note = _note()
    mental = _finding()
    mental_note = _note()
    living = _finding()
    living_note = _note()

    problems = models.TextField(_("problems found"), max_length=2000, blank=True)
    actions = models.TextField(_("actions taken"), max_length=2000, blank=True)
    danger_found = models.BooleanField(_("the child is in danger"), default=False)
    # A household visit (visits.services.visit_record with siblings): one visit per child,
    # the same id on each; and what was found about this child only.
    household_uuid = models.UUIDField(null=True, blank=True, editable=False, db_index=True)
    child_note = models.CharField(_("about this child only"), max_length=300, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visit_date", "-pk"]
        indexes = [
            models.Index(fields=["child", "kind", "visit_date"], name="visit_child_kind_date"),
            models.Index(fields=["child", "visit_date"], name="visit_child_date"),
            models.Index(fields=["visit_date", "kind"], name="visit_date_kind"),
            models.Index(fields=["author", "visit_date"], name="visit_author_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visit_date}"

    def concerns(self) -> list[str]:
        return [
            str(label) for name, label in FINDING_AREAS if getattr(self, name) == Finding.CONCERN
        ]


class FollowUpQuerySet(ScopedQuerySet["FollowUp"]):
    scope_field = "visit__child__region_code"


class FollowUp(WorkItem):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="follow_ups")
    text = models.CharField(_("follow-up"), max_length=300)
    urgent = models.BooleanField(_("urgent"), default=False)

    history = HistoricalRecords()
    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["done", "-urgent", "due_on", "pk"]
        indexes = [models.Index(fields=["done", "due_on"], name="followup_open_due")]

    def __str__(self) -> str:
        return self.text


class CadenceRule(DistrictRule):
    """A district's visit cadence (R14/R15). Without a row, the defaults apply."""

    contact_months = models.PositiveSmallIntegerField(_("contact every (months)"), default=1)
    home_visit_months = models.PositiveSmallIntegerField(_("home visit every (months)"), default=3)
    key_home_visit_months = models.PositiveSmallIntegerField(
        _("key children: home visit every (months)"), default=1
    )
    key_remote_counts = models.BooleanField(
        _("key children: phone or video contacts count as contacts"), default=False
    )
    first_home_visit_days = models.PositiveSmallIntegerField(
        _("first home visit within (days of registration)"), default=30
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact_months__gt=0)
                & models.Q(home_visit_months__gt=0)
                & models.Q(key_home_visit_months__gt=0)
                & models.Q(first_home_visit_days__gt=0),
                name="cadence_rule_positive",
            )
        ]


class InspectionQuerySet(ScopedQuerySet["Inspection"]):
    scope_field = "region_code"


class Inspection(models.Model):
    """A town supervisor's quarterly inspection of one village (R16)."""

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    village = models.ForeignKey(
        "org.Region",
        verbose_name=_("village/community"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    region_code = models.CharField(max_length=12, editable=False)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    inspected_on = models.DateField(_("date"))
    quarter = models.CharField(max_length=6, editable=False)  # 2026Q4
    visits_done = models.BooleanField(_("visits are done"), default=False)
    key_children_followed = models.BooleanField(_("key children are followed up"), default=False)
    director_work_ok = models.BooleanField(_("the director's work is in order"), default=False)
    childrens_home_ok = models.BooleanField(_("the children's home is in order"), default=False)
    data_current = models.BooleanField(_("the data is up to date"), default=False)
    findings = models.TextField(_("findings"), max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("village inspection")
        verbose_name_plural = _("village inspections")
        ordering = ["-inspected_on", "-pk"]
        indexes = [
            models.Index(fields=["region_code", "quarter"], name="inspection_region_quarter"),
            models.Index(fields=["quarter", "region_code"], name="inspection_quarter_region"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.quarter}"


class RectificationQuerySet(ScopedQuerySet["Rectification"]):
    scope_field = "inspection__region_code"


class Rectification(WorkItem):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="rectifications"
    )
    text = models.CharField(_("rectification"), max_length=300)

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["done", "due_on", "pk"]
        indexes = [models.Index(fields=["done", "due_on"], name="rectification_open_due")]

    def __str__(self) -> str:
        return self.text
