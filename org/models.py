"""Regions, staff (real-name, R3) and their assignments to regions (R1)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from carecase.access import ScopedQuerySet
from core import clock
from org.regions import PREFIX_LENGTH, Level, code_errors, parent_level, scope_prefix

if TYPE_CHECKING:
    from carecase.access import Scope


class Role(models.TextChoices):
    CHILD_DIRECTOR = "child_director", _("Child director")
    SUPERVISOR = "supervisor", _("Child supervisor")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil-affairs staff")
    PROTECTION_CENTRE = "protection_centre", _("Protection centre")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


_ADMIN_LEVELS = frozenset({Level.PROVINCE, Level.CITY, Level.DISTRICT})
# The region level each role is assigned at.
ROLE_LEVELS: dict[str, frozenset[str]] = {
    Role.CHILD_DIRECTOR: frozenset({Level.VILLAGE}),
    Role.SUPERVISOR: frozenset({Level.TOWN}),
    Role.CIVIL_AFFAIRS: frozenset({Level.DISTRICT}),
    Role.PROTECTION_CENTRE: frozenset({Level.DISTRICT}),
    Role.SYSTEM_ADMIN: _ADMIN_LEVELS,
    Role.SECURITY_ADMIN: _ADMIN_LEVELS,
    Role.AUDIT_ADMIN: _ADMIN_LEVELS,
}
# Roles whose region is a scope over children's data. The three admin roles (三员分立) manage
# the deployment and never see case data through their assignment.
DATA_ROLES = frozenset(
    {Role.CHILD_DIRECTOR, Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE}
)
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# Roles a district's civil-affairs staff may hand out inside their district.
DISTRICT_GRANTABLE_ROLES = DATA_ROLES


class RegionQuerySet(ScopedQuerySet["Region"]):
    scope_field = "code"


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
    their scope (past or present)."""

    scope_field = "managing_district__code"

    def scope_filter(self, scope: Scope) -> Q:
        assigned_here = Assignment.objects.filter(user=models.OuterRef("pk")).filter(
            scope.q("region__code")
        )
        return scope.q(self.scope_field) | Q(models.Exists(assigned_here))


class StaffManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
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

    objects = StaffManager()  # type: ignore[misc]

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

    def clean(self) -> None:
        super().clean()
        district = self.managing_district if self.managing_district_id else None
        if district is not None and district.level != Level.DISTRICT:
            raise ValidationError(
                {"managing_district": _("The managing region must be a district/county.")}
            )


class AssignmentQuerySet(ScopedQuerySet["Assignment"]):
    scope_field = "region__code"

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
