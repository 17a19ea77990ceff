"""The district's registry of service providers (004 item 17): who can take a referral or run
an activity, what they offer and where. Referrals to them live beside it (issue 17, part 4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedQuerySet


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
    scope_field = "district__code"


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
