"""Care activities (关爱服务活动, issue 17 part 5): a ledger of what a village, town, district
or service provider organised, who took part, and the district's reminder rule for villages
without a safety-education activity (004 item 13)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.district_rules import DistrictRule
from core.scoping import ScopedQuerySet


class ActivityKind(models.TextChoices):
    SAFETY = "safety", _("Safety education")
    HOLIDAY = "holiday", _("Holiday and festival activity")
    PSYCHOLOGICAL = "psychological", _("童心相伴 psychological service")
    FAMILY_EDUCATION = "family_education", _("Family education for parents and carers")
    READING = "reading", _("Reading and play")
    COMPANIONSHIP = "companionship", _("Volunteers' companionship")


class SafetyTopic(models.TextChoices):
    """What a safety-education activity was about (004 item 13)."""

    DROWNING = "drowning", _("Drowning")
    BULLYING = "bullying", _("Bullying")
    SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
    TRAFFIC = "traffic", _("Traffic")
    OTHER = "other", _("Other safety topic")


class ActivityQuerySet(ScopedQuerySet["Activity"]):
    scope_field = "region_code"


class Activity(models.Model):
    """One activity. `region` is the organising area (a village, a town or a district) and
    `region_code` its code, the scope: a village's director sees her village's activities, a
    town's supervisor her town's and its villages'. `provider`, when set, ran it for that
    area. The same `client_uuid` twice is one activity (a phone retrying)."""

    region = models.ForeignKey(
        "org.Region", verbose_name=_("organising area"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=12, db_index=True, editable=False)
    provider = models.ForeignKey(
        "providers.ServiceProvider",
        verbose_name=_("service provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    kind = models.CharField(_("type"), max_length=20, choices=ActivityKind.choices)
    topics = models.JSONField(_("safety topics"), default=list, blank=True)
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    volunteers = models.CharField(_("volunteers"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("care activity")
        verbose_name_plural = _("care activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["region_code", "held_on"], name="activity_scope_day_idx")]

    def __str__(self) -> str:
        return f"{self.title} {self.held_on}"


class AttendanceQuerySet(ScopedQuerySet["Attendance"]):
    # The child's own region: an attendance is the child's data, seen where the child is.
    scope_field = "child__region_code"


class Attendance(models.Model):
    """A child who took part. Not unique per activity and child in the database: merging two
    archives of one child (duplicates.merging moves every row pointing at the merged one)
    must not fail when both took part; the service records each child once."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendances")
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="activity_attendances"
    )

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")

    def __str__(self) -> str:
        return f"{self.activity_id} {self.child_id}"


def photo_path(instance: ActivityPhoto, filename: str) -> str:
    # Never the uploaded name; MEDIA_ROOT has no URL: only the scoped view serves it.
    return f"activities/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class ActivityRule(DistrictRule):
    """When villages without a safety-education activity this year are reminded to their
    town's supervisor: from this day of the last quarter on (004 item 13: one a year)."""

    remind_month = models.PositiveSmallIntegerField(
        _("remind from month"),
        default=10,
        choices=[(10, _("October")), (11, _("November")), (12, _("December"))],
    )
    remind_day = models.PositiveSmallIntegerField(
        _("remind from day"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )

    class Meta:
        verbose_name = _("activity rule")
        verbose_name_plural = _("activity rules")


class SafetyReminder(models.Model):
    """A village told to its town's supervisor as lacking a safety-education activity in
    `year`: once per village and year, however often the sweep runs."""

    village = models.ForeignKey("org.Region", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="one_safety_reminder_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"
