"""Training (R6-R9): courses with their materials, sessions with invitees, attendance,
assessment results, and each worker's stored certification state.

Certification is derived from results and stored in `TrainingStatus` (one row per person), so
the gate (training/gate.py) and the rotation sweep are single indexed look-ups. It is
recomputed by `training.services` in the same transaction as every result written.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.district_rules import DistrictRule
from core.regions import district_code
from core.scoping import ScopedQuerySet, get_scope
from core.spreadsheets import PREVIEWED, ImportRecord

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from core.scoping import Scope
    from org.models import User


class Topic(models.TextChoices):
    """The topics of R9."""

    HOME_VISITS = "home_visits", _("Home visits")
    INFORMATION_UPDATES = "information_updates", _("Information updates")
    MANDATORY_REPORTING = "mandatory_reporting", _("Mandatory reporting")
    POLICY_LINKAGE = "policy_linkage", _("Policy linkage")
    GUARDIANSHIP_DUTY = "guardianship_duty", _("Family guardianship duty")
    FAMILY_EDUCATION = "family_education", _("Family education")
    SINGLE_PARENT = "single_parent", _("Single-parent children")


class OrganiserLevel(models.TextChoices):
    DISTRICT = "district", _("District/county civil affairs")
    TOWN = "town", _("Town/street")


class Rotation(models.TextChoices):
    """Where a certified worker stands in the annual rotation (R7)."""

    CURRENT = "current", _("Trained this year")
    DUE = "due", _("Annual training due soon")
    LAPSED = "lapsed", _("Annual training overdue")


def _district_codes(scope: Scope) -> list[str]:
    return sorted({district_code(p) for p in scope.prefixes})


class CourseQuerySet(ScopedQuerySet["Course"]):
    """Courses belong to a district; everyone working in the district may read them."""

    scope_field = "district__code"

    def scope_filter(self, scope: Scope) -> Q:
        codes = _district_codes(scope)
        return Q(district__code__in=codes) if codes else Q(pk__in=[])


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    district = models.ForeignKey(
        "org.Region",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="training_courses",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def topic_labels(self) -> list[str]:
        labels = dict(Topic.choices)
        return [str(labels.get(t, t)) for t in self.topics]


def material_path(instance: Material, filename: str) -> str:
    # A random name with the detected extension; MEDIA_ROOT has no URL (scoped view only).
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"training/{uuid.uuid4().hex}.{extension}"


class Material(models.Model):
    """A file kept with a course (培训资料档案): PDF, Office document or image."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
    file = models.FileField(_("file"), upload_to=material_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training material")
        verbose_name_plural = _("training materials")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class SessionQuerySet(ScopedQuerySet["Session"]):
    """Sessions organised inside the user's scope, plus those the user is invited to."""

    scope_field = "region__code"

    def visible_to(self, user: User | AnonymousUser | None) -> SessionQuerySet:
        condition = self.scope_filter(get_scope(user))
        if user is not None and user.is_authenticated:
            invited = Session.invitees.through.objects.filter(
                session_id=OuterRef("pk"), user_id=user.pk
            )
            condition |= Q(Exists(invited))
        return self.filter(condition)


class Session(models.Model):
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    organiser_level = models.CharField(
        _("organised by"), max_length=10, choices=OrganiserLevel.choices
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("organising region"),
        on_delete=models.PROTECT,
        related_name="training_sessions",
    )
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    trainer = models.CharField(_("trainer"), max_length=100)
    invitees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited"),
        related_name="training_invitations",
        blank=True,
    )
    organised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["region", "date"], name="session_region_date_idx")]

    def __str__(self) -> str:
        return f"{self.course} · {self.date:%Y-%m-%d}"


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="training_attendance",
    )
    attended = models.BooleanField(_("attended"), default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session", "user"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.session}"


class Result(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="results")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="training_results",
    )
    score = models.PositiveSmallIntegerField(_("score"))
    passed = models.BooleanField(_("passed"))
    assessor = models.CharField(_("assessor"), max_length=100)
    assessed_on = models.DateField(_("assessed on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="result_once"),
            models.CheckConstraint(condition=Q(score__lte=100), name="result_score_0_100"),
        ]
        indexes = [models.Index(fields=["user", "passed"], name="result_user_passed_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.session} · {self.score}"


class TrainingStatus(models.Model):
    """A worker's certification, derived from their results (stored for fast checks)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="training_status",
    )
    certified_on = models.DateField(_("certified on"), null=True, blank=True)
    last_passed_on = models.DateField(_("last passed on"), null=True, blank=True)
    # last_passed_on + 12 months: after this day the annual training has lapsed (R7).
    renewal_due_on = models.DateField(_("annual training due"), null=True, blank=True)
    # last_passed_on + 11 months: from this day the worker is flagged as due.
    renewal_flag_on = models.DateField(_("flagged from"), null=True, blank=True)
    rotation = models.CharField(
        _("annual rotation"), max_length=10, choices=Rotation.choices, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("training status")
        verbose_name_plural = _("training statuses")
        indexes = [
            models.Index(fields=["renewal_flag_on"], name="status_flag_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.certified_on or '-'}"

    @property
    def certified(self) -> bool:
        return self.certified_on is not None

    def rotation_on(self, today: datetime.date) -> str:
        if self.renewal_due_on is None or self.renewal_flag_on is None:
            return ""
        if today > self.renewal_due_on:
            return Rotation.LAPSED
        if today >= self.renewal_flag_on:
            return Rotation.DUE
        return Rotation.CURRENT


class TrainingPolicy(DistrictRule):
    """A district's setting for the annual rotation: whether lapsed training blocks work."""

    lapsed_blocks_work = models.BooleanField(
        _("lapsed annual training blocks work"),
        default=False,
        help_text=_(
            "Off (the default): a worker whose annual training has lapsed is warned only. "
            "On: they can read but not change records until trained again."
        ),
    )

    class Meta:
        verbose_name = _("training policy")
        verbose_name_plural = _("training policies")


class ImportStatus(models.TextChoices):
    PREVIEWED = PREVIEWED, _("Checked, not yet imported")
    COMMITTED = "committed", _("Imported")


def import_path(instance: ResultImport, filename: str) -> str:
    return f"training-imports/{uuid.uuid4().hex}.xlsx"


class ResultImport(ImportRecord):
    """An attendance and results workbook for one session, kept between dry run and commit."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="imports")
    file = models.FileField(_("file"), upload_to=import_path)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )

    class Meta(ImportRecord.Meta):
        verbose_name = _("results import")
        verbose_name_plural = _("results imports")
