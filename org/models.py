"""Regions, staff (real-name, R3) and their assignments to regions (R1)."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from core import clock
from core.regions import PREFIX_LENGTH, Level, code_errors, parent_level, scope_prefix
from core.roles import ADMIN_ROLES, DATA_ROLES, PROVIDER_ROLES, Role
from core.scoping import ScopedQuerySet

if TYPE_CHECKING:
    from core.scoping import Scope


_ADMIN_LEVELS = frozenset({Level.PROVINCE, Level.CITY, Level.DISTRICT})
# The region level each role is assigned at.
ROLE_LEVELS: dict[str, frozenset[str]] = {
    Role.CHILD_DIRECTOR: frozenset({Level.VILLAGE}),
    Role.SUPERVISOR: frozenset({Level.TOWN}),
    Role.CIVIL_AFFAIRS: frozenset({Level.DISTRICT}),
    Role.PROTECTION_CENTRE: frozenset({Level.DISTRICT}),
    Role.SERVICE_PROVIDER: frozenset({Level.DISTRICT}),
    Role.SYSTEM_ADMIN: _ADMIN_LEVELS,
    Role.SECURITY_ADMIN: _ADMIN_LEVELS,
    Role.AUDIT_ADMIN: _ADMIN_LEVELS,
}
# Roles a district's civil-affairs staff may hand out inside their district.
DISTRICT_GRANTABLE_ROLES = DATA_ROLES | PROVIDER_ROLES


class RegionQuerySet(ScopedQuerySet["Region"]):
    scope_field = "code"

    def villages_in(self, scope: Scope) -> RegionQuerySet:
        """The villages inside `scope` (e.g. `permissions.archive_scope(user)`)."""
        return self.in_scope(scope).filter(level=Level.VILLAGE)


class Region(models.Model):
    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="region_level_code_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return scope_prefix(self.code, self.level)

    @property
    def prefix_length(self) -> int:
        return PREFIX_LENGTH[self.level]

    def clean(self) -> None:
        parent = self.parent if self.parent_id else None
        if parent is None and self.level != Level.PROVINCE:
            raise ValidationError({"parent": _("Only a province has no parent region.")})
        if parent is not None and parent_level(self.level) != parent.level:
            raise ValidationError({"parent": _("A region's parent must be one level above it.")})
        errors = code_errors(self.code or "", self.level, parent.code if parent else None)
        if errors:
            raise ValidationError({"code": errors})


# The child-welfare posts CareCase keeps began long after this; earlier is a typing mistake.
EARLIEST_APPOINTMENT = datetime.date(1980, 1, 1)


class StaffStatus(models.TextChoices):
    ACTIVE = "active", _("In post")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left the post")


phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
    _("Enter an 11-digit mobile number or a landline such as 023-68861234."),
)


class UserQuerySet(ScopedQuerySet["User"]):
    """Staff visible to a user: those their district manages, and anyone assigned inside
    their scope (past or present), never an administrator or a superuser (三员分立: district
    staff manage their workers, not the people who run the deployment)."""

    scope_field = "managing_district__code"

    def scope_filter(self, scope: Scope) -> Q:
        if not scope.prefixes:
            return Q(pk__in=[])
        assigned_here = Assignment.objects.filter(user=models.OuterRef("pk")).filter(
            scope.q("region__code")
        )
        administrator = Assignment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=clock.today()),
            user=models.OuterRef("pk"),
            role__in=ADMIN_ROLES,
        )
        return (
            (scope.q(self.scope_field) | Q(models.Exists(assigned_here)))
            & Q(is_superuser=False)
            & ~Q(models.Exists(administrator))
        )


# Assigned, not subclassed, so that the type checker knows its querysets (a class statement on
# this dynamic base is opaque to django-stubs); its module is set so migrations find it here.
StaffManager = UserManager.from_queryset(UserQuerySet, class_name="StaffManager")
StaffManager.__module__ = __name__


class User(AbstractUser):  # type: ignore[django-manager-missing]  # knox is untyped
    """A person who signs in: managed by real name (R3)."""

    real_name = models.CharField(_("real name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    position = models.CharField(_("position"), max_length=100, blank=True)
    appointed_on = models.DateField(_("appointment date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=StaffStatus.choices, default=StaffStatus.ACTIVE
    )
    managing_district = models.ForeignKey(
        Region,
        verbose_name=_("managing district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_staff",
        limit_choices_to={"level": Level.DISTRICT},
        help_text=_("The district whose civil-affairs office keeps this person's record."),
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StaffManager()  # type: ignore[misc]  # AbstractUser declares a ClassVar

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["real_name", "username"]

    def __str__(self) -> str:
        return self.real_name or self.username

    def get_full_name(self) -> str:
        return self.real_name or self.username

    def get_short_name(self) -> str:
        return self.real_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a new password, or taking the account out of service, revokes every API
        token of the person (org.tokens), and a new password is written to the person's
        password history (its age, the ones not to reuse: org.passwords): one place that every
        path (password page, reset, admin, command line) goes through."""
        update_fields = kwargs.get("update_fields")
        password_changed = getattr(self, "_password", None) is not None
        watched = {"is_active", "status", "password"}
        out_of_service = (not self.is_active or self.status != StaffStatus.ACTIVE) and (
            update_fields is None or bool(watched & set(update_fields))
        )
        super().save(*args, **kwargs)
        if password_changed and self.has_usable_password():
            PasswordRecord.record(self)
        if password_changed or out_of_service:
            from org.tokens import revoke_all

            revoke_all(self)

    def clean(self) -> None:
        super().clean()
        from core.text import clean_name

        errors: dict[str, Any] = {}
        if self.real_name:
            try:
                self.real_name = clean_name(self.real_name)
            except ValidationError as exc:
                errors["real_name"] = exc.messages
        today = clock.today()
        if self.appointed_on and not (
            EARLIEST_APPOINTMENT <= self.appointed_on <= today + datetime.timedelta(days=366)
        ):
            errors["appointed_on"] = _(
                "Give an appointment date between %(first)s and a year from today."
            ) % {"first": EARLIEST_APPOINTMENT.isoformat()}
        if errors:
            raise ValidationError(errors)
        district = self.managing_district if self.managing_district_id else None
        if district is not None and district.level != Level.DISTRICT:
            raise ValidationError(
                {"managing_district": _("The managing region must be a district/county.")}
            )


class AssignmentQuerySet(ScopedQuerySet["Assignment"]):
    scope_field = "region__code"

    def scope_filter(self, scope: Scope) -> Q:
        # Administrators' assignments are the security administrator's, not the district's.
        return scope.q(self.scope_field) & ~Q(role__in=ADMIN_ROLES)

    def active(self, today: datetime.date | None = None) -> AssignmentQuerySet:
        """Assignments in force on `today` held by a person who is active and in post.

        The start date is the first day served; the end date is the day the assignment ended
        (from that day on it grants nothing).
        """
        today = today or clock.today()
        return self.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=today),
            start_date__lte=today,
            user__is_active=True,
            user__status=StaffStatus.ACTIVE,
        )


def active_assignment_sql(
    today: datetime.date, *, assignment: str = "a", user: str = "u"
) -> tuple[str, list[Any]]:
    """AssignmentQuerySet.active() as a raw SQL condition over the table aliases
    `assignment` (org_assignment) and `user` (org_user), with its parameters: for set-based
    statements written in SQL (the reminder sweep joins it inside one INSERT … SELECT), so the
    rule stays written next to active(). Change both together."""
    a, u = assignment, user
    return (
        f"{a}.start_date <= %s AND ({a}.end_date IS NULL OR {a}.end_date > %s) "
        f"AND {u}.is_active = %s AND {u}.status = %s",
        [today, today, True, str(StaffStatus.ACTIVE)],
    )


class Assignment(models.Model):
    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="assignments"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        User,
        verbose_name=_("ended by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "role", "end_date"], name="assignment_region_role_idx"),
            models.Index(fields=["user", "end_date"], name="assignment_user_end_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date > day)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.region_id and self.role in ROLE_LEVELS:
            region = self.region
            if region.level not in ROLE_LEVELS[self.role]:
                allowed = "、".join(str(Level(lv).label) for lv in sorted(ROLE_LEVELS[self.role]))
                errors["region"] = _("A %(role)s is assigned to a %(levels)s, not a %(level)s.") % {
                    "role": Role(self.role).label,
                    "levels": allowed,
                    "level": Level(region.level).label,
                }
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if errors:
            raise ValidationError(errors)


class ApiToken(AbstractAuthToken):  # type: ignore[misc]  # knox is untyped
    """An API token (django-rest-knox, KNOX_TOKEN_MODEL): only a hash of the secret is stored,
    it expires after API_TOKEN_TTL_HOURS, and a person holds one per device."""

    public_id: models.UUIDField[uuid.UUID, uuid.UUID] = models.UUIDField(
        _("token id"), default=uuid.uuid4, unique=True, editable=False
    )
    name: models.CharField[str, str] = models.CharField(_("device"), max_length=100, blank=True)
    last_used_at: models.DateTimeField[datetime.datetime | None, datetime.datetime | None] = (
        models.DateTimeField(_("last used"), null=True, blank=True)
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        # Never the digest: the token_key prefix identifies it for its owner.
        return f"{self.name or self.token_key}"


class AdminAction(models.TextChoices):
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    ASSIGN = "assign", _("Role assigned")
    END_ASSIGNMENT = "end_assignment", _("Role ended")
    REVOKE_TOKEN = "revoke_token", _("Token revoked")
    UNLOCK = "unlock", _("Sign-in unlocked")
    PASSWORD = "password", _("Password reset")
    PURGE = "purge", _("Log purged")
    SUPERUSER = "superuser", _("Break-glass superuser request")
    REFUSED = "refused", _("Refused")
    RUN_TASK = "run_task", _("Scheduled task run now")
    TWO_FACTOR_PERMIT = "permit_2fa", _("Two-factor enrolment permitted")
    TWO_FACTOR_ENROL = "enrol_2fa", _("Two-factor enrolled")
    TWO_FACTOR_RESET = "reset_2fa", _("Two-factor reset")
    RECOVERY_RENEW = "recovery_2fa", _("Recovery codes renewed")
    END_SESSIONS = "end_sessions", _("Sessions ended")
    # Log retention (carecase.log_archive, carecase.log_views).
    ARCHIVE_LOG = "archive_log", _("Log month archived")
    EXPORT_LOG = "export_log", _("Log search exported")
    DOWNLOAD_ARCHIVE = "download_archive", _("Log archive downloaded")


class AdminLogQuerySet(models.QuerySet["AdminLogEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The administrators' log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The administrators' log is append-only.")


class AdminLogEntry(models.Model):
    """What an administrator (or the break-glass superuser) changed: who, what, before and
    after. Rows are only inserted; database triggers refuse UPDATE and DELETE (org/append_only)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        User, verbose_name=_("by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    by_username = models.CharField(_("account"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AdminAction.choices)
    target_type = models.CharField(_("object type"), max_length=60, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AdminLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrators' log entry")
        verbose_name_plural = _("administrators' log")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)
        # The audit administrator's searches: a date range (the partition key, org.
        # log_partitions) with an account or an object.
        indexes = [
            models.Index(fields=["by_username", "at"], name="adminlog_account_at_idx"),
            models.Index(fields=["target_type", "target_id", "at"], name="adminlog_object_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.by_username} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The administrators' log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The administrators' log is append-only.")


class PurgePermit(models.Model):
    """Present only inside the transaction of `manage.py purge_logs`: the append-only triggers
    let DELETE through on a table while a permit for it exists (nothing else writes here)."""

    table_name = models.CharField(max_length=63, unique=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return self.table_name


from org.models_security import PasswordRecord, TwoFactorPermit, UserSession  # noqa: E402,F401
