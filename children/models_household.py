"""A household (户): one family, several children (issue 17, part 1). The household holds the
facts its children share (the address, the parents, the guardian, the entrusted carer and
the R12 confirmation) and the guardianship capacity assessment (004 item 5, 家庭监护能力评估).
The shared facts are copied onto each member child's own fields by children.household, so
every page, export, risk rule and the history read them where they always did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from children import crypto
from children.choices import CarerCapacity, GuardianshipQuality, GuardianType
from core.scoping import ScopedQuerySet


class CapacityResult(models.TextChoices):
    CAPABLE = "capable", _("Capable of guardianship")
    LIMITED = "limited", _("Limited guardianship capacity")
    INCAPABLE = "incapable", _("Lacks guardianship capacity")


class ItemRating(models.TextChoices):
    ADEQUATE = "adequate", _("Adequate")
    PARTLY = "partly", _("Partly adequate")
    INADEQUATE = "inadequate", _("Inadequate")


# The five items of the assessment: (field name, label).
CAPACITY_ITEMS: tuple[tuple[str, object], ...] = (
    ("health", _("The guardian's physical and mental health")),
    ("time", _("Time and energy to look after the children")),
    ("economy", _("Economic means")),
    ("upbringing", _("Ability to educate and supervise")),
    ("home", _("Safety of the home and living conditions")),
)


class HouseholdQuerySet(ScopedQuerySet["Household"]):
    scope_field = "region_code"


class Household(models.Model):
    village = models.ForeignKey(
        "org.Region", verbose_name=_("village/community"), on_delete=models.PROTECT
    )
    region_code = models.CharField(max_length=12, editable=False, db_index=True)
    address = models.CharField(_("current address"), max_length=200)
    # The parents: {"father": {name, id_cipher, id_masked, phone, status, work_province,
    # work_city, missing_since (ISO date or null)}, "mother": {...}}; a relation left out
    # is not recorded. ID numbers only encrypted, as on Parent.
    parents = models.JSONField(default=dict, blank=True)
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
    # The latest guardianship capacity assessment, copied for each child's page and lists.
    capacity_result = models.CharField(
        _("guardianship capacity"), max_length=10, choices=CapacityResult.choices, blank=True
    )
    capacity_assessed_on = models.DateField(_("assessed on"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["region_code", "pk"]
        indexes = [models.Index(fields=["carer_phone", "region_code"], name="household_phone")]

    def __str__(self) -> str:
        return f"{self.address}"

    @property
    def carer_id(self) -> str:
        return crypto.decrypt(self.carer_id_cipher)


class GuardianshipAssessmentQuerySet(ScopedQuerySet["GuardianshipAssessment"]):
    scope_field = "household__region_code"


def _rating(label: object) -> models.CharField[str, str]:
    return models.CharField(label, max_length=10, choices=ItemRating.choices)  # type: ignore[arg-type]


class GuardianshipAssessment(models.Model):
    """One dated assessment of a household's guardianship capacity: five items rated, the
    result worked out from them (children.household.capacity_result), a note."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    health = _rating(CAPACITY_ITEMS[0][1])
    time = _rating(CAPACITY_ITEMS[1][1])
    economy = _rating(CAPACITY_ITEMS[2][1])
    upbringing = _rating(CAPACITY_ITEMS[3][1])
    home = _rating(CAPACITY_ITEMS[4][1])
    result = models.CharField(
        _("result"), max_length=10, choices=CapacityResult.choices, editable=False
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GuardianshipAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardianship capacity assessment")
        verbose_name_plural = _("guardianship capacity assessments")
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.assessed_on} {self.get_result_display()}"
