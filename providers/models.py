"""The district's registry of service providers (004 item 17): who can take a referral or run
an activity, what they offer and where. Referrals to them live beside it (issue 17, part 4)."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from core.regions import district_code
from core.roles import PROVIDER_ROLES
from core.scoping import Scope, ScopedQuerySet, get_scope, is_administrator
from core.workitems import WorkItem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from org.models import User


class ProviderKind(models.TextChoices):
    SCHOOL = "school", _("School")
    CLINIC = "clinic", _("Clinic or hospital")
    PROTECTION_CENTRE = "protection_centre", _("Child protection centre")
    SOCIAL_WORK = "social_work", _("Social-work agency")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    VOLUNTEERS = "volunteers", _("Volunteer team")
    MASS_ORGANISATION = (
        "mass_organisation",
        _("Women's federation, Youth League or disabled persons' federation programme"),
    )
    OTHER = "other", _("Other")


class ServiceKind(models.TextChoices):
    """What a provider offers, and what a referral or a case-plan action asks of it."""

    PSYCHOLOGICAL = "psychological", _("Psychological counselling")
    MEDICAL = "medical", _("Medical care and rehabilitation")
    EDUCATION = "education", _("Schooling support and return to school")
    LEGAL = "legal", _("Legal aid")
    SHELTER = "shelter", _("Temporary care and shelter")
    ASSISTANCE = "assistance", _("Social assistance application")
    FAMILY_EDUCATION = "family_education", _("Family education and guardianship support")
    COMPANIONSHIP = "companionship", _("Companionship and tutoring")
    OTHER = "other", _("Other service")


class ServiceProviderQuerySet(ScopedQuerySet["ServiceProvider"]):
    """The registry of a district is read by everyone who works in it (a village's director
    refers to the district's providers): the providers of the districts that contain the
    scope's regions. Administrators and a provider's staff have no prefixes: nothing."""

    scope_field = "district__code"

    def scope_filter(self, scope: Scope) -> Q:
        if not scope.prefixes:
            return Q(pk__in=[])
        return Q(district__code__in=sorted({district_code(p) for p in scope.prefixes}))


class ServiceProvider(models.Model):
    """A provider registered by a district's civil affairs. `areas` are the regions it serves
    (empty: the whole district); its staff, if it has accounts, hold the service-provider
    role and see only the children referred to it while the referral is open."""

    district = models.ForeignKey(
        "org.Region", verbose_name=_("district/county"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=ProviderKind.choices)
    services = models.JSONField(_("services offered"), default=list, blank=True)
    areas = models.ManyToManyField(
        "org.Region", verbose_name=_("area served"), blank=True, related_name="+"
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceProviderQuerySet.as_manager()

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["district", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"], name="one_provider_name_per_district"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def service_labels(self) -> list[str]:
        return [str(ServiceKind(s).label) for s in self.services if s in ServiceKind.values]


class ProviderStaff(models.Model):
    """A staff account of a provider: a person who holds the service-provider role in the
    provider's district (org.Assignment) and answers the provider's referrals in CareCase."""

    provider = models.ForeignKey(
        ServiceProvider, verbose_name=_("service provider"), on_delete=models.CASCADE,
        related_name="staff_links",
    )  # fmt: skip
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE,
        related_name="provider_links",
    )  # fmt: skip
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("provider staff account")
        verbose_name_plural = _("provider staff accounts")
        ordering = ["provider", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "user"], name="one_link_per_provider_user")
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.user_id}"


class ReferralStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the provider")
    ACCEPTED = "accepted", _("Accepted, service under way")
    DECLINED = "declined", _("Declined by the provider")
    COMPLETED = "completed", _("Outcome recorded")
    WITHDRAWN = "withdrawn", _("Withdrawn by the referrer")


OPEN_STATUSES = (ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED)


class ReferralOutcome(models.TextChoices):
    PROVIDED = "provided", _("Service provided")
    PARTLY = "partly", _("Partly provided")
    NOT_PROVIDED = "not_provided", _("Not provided")


class Consent(models.TextChoices):
    """Who agreed to the referral (the child's and the guardian's consent, noted)."""

    GUARDIAN_AND_CHILD = "guardian_and_child", _("The guardian and the child")
    GUARDIAN = "guardian", _("The guardian")
    CHILD = "child", _("The child")
    PROTECTION = "protection", _("Not sought: the child's protection requires it")


class ServiceReferralQuerySet(ScopedQuerySet["ServiceReferral"]):
    """Referrals by the child's region (the child's own, so a referral follows a child who
    moves to another village: no copy to keep in step); and, for a
    provider's staff, the referrals to their provider while open: the referral is the explicit
    grant (like a shared case), and it ends when the referral closes."""

    scope_field = "child__region_code"

    def visible_to(self, user: User | AnonymousUser | None) -> Self:
        condition = self.scope_filter(get_scope(user))
        condition |= self.provider_reach(user)
        return self.filter(condition)

    def provider_reach(self, user: User | AnonymousUser | None) -> Q:
        """The open referrals to the providers `user` staffs, when they hold the
        service-provider role today; nothing for an administrator (三员分立)."""
        scope = get_scope(user)
        if user is None or not scope.has_role(*PROVIDER_ROLES) or is_administrator(user):
            return Q(pk__in=[])
        links = ProviderStaff.objects.filter(
            user_id=user.pk or 0,
            provider__active=True,
            provider__district__in=scope.regions(*PROVIDER_ROLES),
        ).values("provider_id")
        return Q(status__in=OPEN_STATUSES, provider_id__in=links)

    def open(self) -> Self:
        return self.filter(status__in=OPEN_STATUSES)

    def for_provider_staff(self, user: User) -> Self:
        """The inbox: the open referrals `user` answers as a provider's staff."""
        return self.filter(self.provider_reach(user))


class ServiceReferral(WorkItem):
    """A child referred to a provider for a service, with the consent noted and the reason;
    accepted or declined by the provider (its staff, or the referrer on its behalf), then the
    outcome. As a work item: due by `due_on` (the outcome expected), done when closed
    (declined, outcome recorded or withdrawn: `done_on`, `done_note`, `done_by`)."""

    child = models.ForeignKey(
        "children.Child", verbose_name=_("child"), on_delete=models.PROTECT,
        related_name="service_referrals",
    )  # fmt: skip
    provider = models.ForeignKey(
        ServiceProvider, verbose_name=_("service provider"), on_delete=models.PROTECT,
        related_name="referrals",
    )  # fmt: skip
    service = models.CharField(_("service"), max_length=30, choices=ServiceKind.choices)
    reason = models.CharField(_("reason for the referral"), max_length=500)
    consent = models.CharField(_("consent"), max_length=20, choices=Consent.choices)
    consent_on = models.DateField(_("consent given on"), null=True, blank=True)
    referred_on = models.DateField(_("referred on"))
    respond_by = models.DateField(_("answer expected by"))
    status = models.CharField(
        _("status"), max_length=12, choices=ReferralStatus.choices,
        default=ReferralStatus.REQUESTED,
    )  # fmt: skip
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    decided_for_provider = models.BooleanField(
        _("recorded by the referrer for the provider"), default=False
    )
    decision_note = models.CharField(_("answer"), max_length=300, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=14, choices=ReferralOutcome.choices, blank=True
    )
    outcome_for_provider = models.BooleanField(
        _("outcome recorded by the referrer for the provider"), default=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded = models.PositiveSmallIntegerField(default=0)  # reminders sent at this status
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral to a service provider")
        verbose_name_plural = _("referrals to service providers")
        ordering = ["-referred_on", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="referral_open"),
            models.Index(fields=["provider", "status"], name="referral_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.get_service_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def overdue_today(self) -> bool:
        return self.overdue(clock.today())

    def overdue(self, today: datetime.date) -> bool:
        if self.status == ReferralStatus.REQUESTED:
            return self.respond_by < today
        return self.status == ReferralStatus.ACCEPTED and self.due_on < today
