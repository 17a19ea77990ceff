"""The child archive (一人一档, R11): the child, parents, guardianship, schooling, health,
assistance (R13), referrals, work-log notes, problems and solutions, attachments, and the
append-only access log (R20)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from children import crypto, idnumber
from children.choices import ETHNICITIES as ETHNICITY_CHOICES
from children.choices import (
    AssistanceStatus,
    AssistanceType,
    AttachmentKind,
    CarerCapacity,
    Category,
    CloseReason,
    DisabilityGrade,
    DisabilityType,
    Gender,
    GuardianshipQuality,
    GuardianType,
    Health,
    ParentRelation,
    ParentStatus,
    ReferralOutcome,
    Schooling,
    Status,
)
from children.models_risk import ChildRisk, RiskLevel
from core.scoping import ScopedQuerySet


class EncryptedIdentifier:
    """Model mixin for one encrypted identity number stored as `<name>_cipher` and
    `<name>_hash`; the clear text only ever exists in memory."""

    @staticmethod
    def seal(number: str) -> tuple[str, str | None]:
        number = idnumber.normalize(number) if number else ""
        if not number:
            return "", None
        return crypto.encrypt(number), crypto.lookup_hash(number)


class CategoryTag(models.Model):
    """One of the categories of R10; a child can have several (seeded by migration)."""

    code = models.CharField(_("code"), max_length=32, primary_key=True, choices=Category.choices)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return str(Category(self.code).label)


class ChildQuerySet(ScopedQuerySet["Child"]):
    scope_field = "region_code"

    def active(self) -> ChildQuerySet:
        return self.filter(status=Status.ACTIVE)

    def with_version(self) -> ChildQuerySet:
        """Each child annotated `version` (see `version_subquery`)."""
        return self.annotate(version=version_subquery())


def version_subquery() -> models.Subquery:
    """A child's version, for `.annotate(version=...)`: the id of its latest history row (a
    subquery, no query per child). Every save of the archive through `child_save` writes
    exactly one history row (categories included), so this changes whenever the archive does
    and names the state a phone's edit is based on (`children.merge`). No stored counter: it
    would be a second record of what the history already says, and could drift from it."""
    rows = Child.history.model.objects.filter(id=models.OuterRef("pk"))
    return models.Subquery(rows.order_by("-history_id").values("history_id")[:1])


class Child(models.Model):
    # Identity
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(max_length=200, editable=False, db_index=True)
    name_initials = models.CharField(max_length=50, editable=False, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(
        _("ethnicity"), max_length=2, choices=ETHNICITY_CHOICES, default="01"
    )
    id_cipher = models.TextField(editable=False, blank=True)
    # NULL, not "": a child without an ID number yet (unregistered hukou) must not collide.
    id_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    id_masked = models.CharField(_("ID number"), max_length=18, editable=False, blank=True)
    birth_date = models.DateField(_("date of birth"))
    hukou_registered = models.BooleanField(_("household registration"), default=True)
    hukou_address = models.CharField(_("place of household registration"), max_length=200)
    address = models.CharField(_("current address"), max_length=200)
    village = models.ForeignKey(
        "org.Region", verbose_name=_("village/community"), on_delete=models.PROTECT
    )
    region_code = models.CharField(max_length=12, editable=False, db_index=True)
    categories = models.ManyToManyField(CategoryTag, verbose_name=_("categories"), blank=True)
    # The household (children.models_household) whose shared facts this child's own fields
    # copy; None for a child registered alone.
    household = models.ForeignKey(
        "children.Household",
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="members",
    )

    # Guardianship (R12)
    guardian_type = models.CharField(
        _("guardian type"), max_length=20, choices=GuardianType.choices
    )
    carer_name = models.CharField(_("entrusted carer"), max_length=50, blank=True)
    carer_relation = models.CharField(_("relation to the child"), max_length=20, blank=True)
    carer_phone = models.CharField(_("carer's phone"), max_length=20, blank=True)
    carer_id_cipher = models.TextField(editable=False, blank=True)
    carer_address = models.CharField(_("carer's address"), max_length=200, blank=True)
    carer_capacity = models.CharField(
        _("carer's capacity"), max_length=12, choices=CarerCapacity.choices, blank=True
    )
    entrustment_signed_on = models.DateField(
        _("entrusted-guardianship confirmation signed on"), null=True, blank=True
    )
    guardianship_quality = models.CharField(
        _("guardianship quality"), max_length=8, choices=GuardianshipQuality.choices
    )

    # Schooling
    schooling = models.CharField(_("schooling"), max_length=20, choices=Schooling.choices)
    school_name = models.CharField(_("school"), max_length=100, blank=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    boarding = models.BooleanField(_("boarding"), default=False)

    # Health
    health = models.CharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.HEALTHY
    )
    disability_type = models.CharField(
        _("disability type"), max_length=12, choices=DisabilityType.choices, blank=True
    )
    disability_grade = models.CharField(
        _("disability grade"), max_length=1, choices=DisabilityGrade.choices, blank=True
    )
    illness = models.CharField(_("illness"), max_length=100, blank=True)
    psychological_concern = models.BooleanField(
        _("psychological or behavioural concern"), default=False
    )
    psychological_note = models.CharField(_("about the concern"), max_length=200, blank=True)
    over_age_reason = models.CharField(
        _("reason for keeping past 18"),
        max_length=200,
        blank=True,
        help_text=_("Only for someone 18 or older whose archive is kept by a policy case."),
    )

    # Derived facts (R10, R15), stored for fast lists and the visit cadence.
    is_key = models.BooleanField(_("key child"), default=False, editable=False, db_index=True)
    key_reasons = models.JSONField(default=list, editable=False, blank=True)

    # Status
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    close_reason = models.CharField(
        _("reason for closing"), max_length=20, choices=CloseReason.choices, blank=True
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_note = models.CharField(_("closing note"), max_length=200, blank=True)
    new_address = models.CharField(_("new address"), max_length=200, blank=True)
    age_review_due = models.BooleanField(default=False, editable=False, db_index=True)

    # Visit cadence (R14/R15), stored and recomputed by visits.cadence whenever a visit, the
    # child's key status or the district's rule changes; NULL for closed children.
    next_contact_due = models.DateField(
        _("next contact due"), null=True, blank=True, editable=False
    )
    next_home_visit_due = models.DateField(
        _("next home visit due"), null=True, blank=True, editable=False
    )

    # Bookkeeping
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(
        excluded_fields=[
            "name_pinyin",
            "name_initials",
            "updated_at",
            "age_review_due",
            "next_contact_due",
            "next_home_visit_due",
        ],
        m2m_fields=[categories],
    )
    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["region_code", "name_pinyin", "pk"]
        permissions = [
            ("view_identifier", _("Can see full ID numbers")),
            ("export_identifier", _("Can export full ID numbers")),
        ]
        indexes = [
            models.Index(fields=["region_code", "status", "name_pinyin"], name="child_scope_list"),
            models.Index(fields=["status", "birth_date"], name="child_status_birth"),
            # Likely duplicates (children.duplicates): equality on the date of birth or the
            # guardian's phone inside a region range.
            models.Index(fields=["birth_date", "region_code"], name="child_birth_region"),
            models.Index(fields=["carer_phone", "region_code"], name="child_carer_phone"),
            models.Index(fields=["next_contact_due", "region_code"], name="child_contact_due"),
            models.Index(fields=["next_home_visit_due", "region_code"], name="child_visit_due"),
            # The daily reminder sweep (notifications.sweep) reads the active children due by
            # a date from these alone: index-only scans, the wide rows are not read.
            models.Index(
                fields=["next_contact_due"],
                include=["region_code", "id"],
                condition=models.Q(status="active"),
                name="child_active_contact_due",
            ),
            models.Index(
                fields=["next_home_visit_due"],
                include=["region_code", "id"],
                condition=models.Q(status="active"),
                name="child_active_visit_due",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # Identity numbers: set through `set_id_number`, read through `id_number`.
    def set_id_number(self, number: str) -> None:
        self.id_cipher, self.id_hash = EncryptedIdentifier.seal(number)
        self.id_masked = idnumber.mask(idnumber.normalize(number)) if number else ""

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_cipher)

    def set_carer_id(self, number: str) -> None:
        self.carer_id_cipher = EncryptedIdentifier.seal(number)[0]

    @property
    def carer_id(self) -> str:
        return crypto.decrypt(self.carer_id_cipher)

    def age_on(self, day: datetime.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def category_codes(self) -> list[str]:
        return [tag.code for tag in self.categories.all()]

    # The risk level (children.risk), stored beside the archive in `ChildRisk` (a child
    # without that row: low risk, no reasons). Lists select_related("risk").
    def _risk(self) -> ChildRisk:
        try:
            return self.risk
        except ChildRisk.DoesNotExist:
            return ChildRisk(level=RiskLevel.LOW, score=0, reasons=[])

    @property
    def risk_level(self) -> int:
        return int(self._risk().level)

    @property
    def risk_score(self) -> int:
        return int(self._risk().score)

    @property
    def risk_reasons(self) -> list[dict[str, Any]]:
        return list(self._risk().reasons)

    def get_risk_level_display(self) -> str:
        return str(RiskLevel(self.risk_level).label)

    def key_reason_labels(self) -> list[str]:
        from children.rules import KEY_REASON_LABELS

        return [str(KEY_REASON_LABELS.get(code, code)) for code in self.key_reasons]


class Parent(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="parents")
    relation = models.CharField(_("relation"), max_length=8, choices=ParentRelation.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    id_cipher = models.TextField(editable=False, blank=True)
    id_masked = models.CharField(_("ID number"), max_length=18, editable=False, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ParentStatus.choices)
    work_province = models.CharField(_("working in (province)"), max_length=20, blank=True)
    work_city = models.CharField(_("working in (city)"), max_length=30, blank=True)
    missing_since = models.DateField(_("missing since"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("parent")
        verbose_name_plural = _("parents")
        constraints = [
            models.UniqueConstraint(fields=["child", "relation"], name="one_parent_per_relation")
        ]
        indexes = [models.Index(fields=["phone"], name="parent_phone")]
        ordering = ["relation"]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.name}"

    def set_id_number(self, number: str) -> None:
        self.id_cipher = EncryptedIdentifier.seal(number)[0]
        self.id_masked = idnumber.mask(idnumber.normalize(number)) if number else ""

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_cipher)


class ChildRecord(models.Model):
    """Shared fields of the rows that hang off a child and join its timeline."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="%(class)ss")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        abstract = True


class Assistance(ChildRecord):
    kind = models.CharField(_("type of assistance"), max_length=24, choices=AssistanceType.choices)
    status = models.CharField(_("status"), max_length=10, choices=AssistanceStatus.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    provider = models.CharField(_("provided by"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assistance")
        verbose_name_plural = _("assistance")
        ordering = ["-started_on", "-pk"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class Referral(ChildRecord):
    organisation = models.CharField(_("referred to"), max_length=100)
    reason = models.CharField(_("reason"), max_length=300)
    referred_on = models.DateField(_("referred on"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ReferralOutcome.choices, default="pending"
    )
    outcome_note = models.CharField(_("about the outcome"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-referred_on", "-pk"]

    def __str__(self) -> str:
        return self.organisation


class WorkNote(ChildRecord):
    noted_on = models.DateField(_("date"))
    text = models.TextField(_("note"), max_length=2000)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("work-log note")
        verbose_name_plural = _("work-log notes")
        ordering = ["-noted_on", "-pk"]

    def __str__(self) -> str:
        return self.text[:30]


class Problem(ChildRecord):
    found_on = models.DateField(_("found on"))
    description = models.CharField(_("problem found"), max_length=500)
    solution = models.CharField(_("how it was solved"), max_length=500, blank=True)
    solved_on = models.DateField(_("solved on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-found_on", "-pk"]

    def __str__(self) -> str:
        return self.description[:30]

    def clean(self) -> None:
        if self.solved_on and self.found_on and self.solved_on < self.found_on:
            raise ValidationError(
                {"solved_on": _("A problem cannot be solved before it was found.")}
            )


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name: it may hold the child's name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"children/{instance.child_id}/{uuid.uuid4().hex}.{suffix}"


class Attachment(ChildRecord):
    kind = models.CharField(_("kind"), max_length=12, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed the archive")
    API_VIEW = "api_view", _("Read the archive through the API")
    EXPORT = "export", _("Exported a roster")
    PDF = "pdf", _("Downloaded the dossier PDF")
    ATTACHMENT = "attachment", _("Opened an attachment")
    IMPORT = "import", _("Imported a roster")
    # The archive copied to a director's phone for offline work (GET /api/v1/offline/).
    DEVICE_DOWNLOAD = "device", _("Downloaded to a device")
    # Two archives of the same child merged into one (duplicates.merging), logged on both.
    MERGE = "merge", _("Merged two archives of the same child")
    DUPLICATE_LIST = "duplicates", _("Listed the likely duplicates of a district")


class AppendOnlyQuerySet(models.QuerySet["AccessLog"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The access log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only.")


class AccessLog(models.Model):
    """Who viewed or exported which child's data (R20). Rows are only ever inserted: the
    application has no path that updates or deletes them, and PostgreSQL enforces it with a
    trigger on PostgreSQL and SQLite (migration 0002)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    action = models.CharField(_("action"), max_length=12, choices=AccessAction.choices)
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scope = models.CharField(_("scope"), max_length=300, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("access-log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)
        # The audit administrator's searches: a date range (the partition key, org.
        # log_partitions) with an account, an action or a child.
        indexes = [
            models.Index(fields=["user", "at"], name="accesslog_user_at_idx"),
            models.Index(fields=["action", "at"], name="accesslog_action_at_idx"),
            models.Index(fields=["child", "at"], name="accesslog_child_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only.")


from children.models_duplicates import NotDuplicate  # noqa: E402,F401
from children.models_household import GuardianshipAssessment, Household  # noqa: E402,F401
from children.models_risk import RiskChange, RiskRule, RiskSignal  # noqa: E402,F401
from children.models_roster import RosterImport  # noqa: E402,F401
