"""Department lists, their rows, the district's column mappings and rules, and findings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.district_rules import DistrictRule
from core.scoping import ScopedQuerySet
from core.spreadsheets import PREVIEWED, ImportRecord
from core.workitems import WorkItem
from matching.sources import SourceKind


class ColumnMapping(models.Model):
    """A district's headers for a source kind ({field key: header}), kept from the last
    upload so that the next file of the kind needs no mapping."""

    district = models.ForeignKey("org.Region", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    headers = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        constraints = [
            models.UniqueConstraint(fields=["district", "source"], name="one_mapping_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.source}"


class ListImportStatus(models.TextChoices):
    PREVIEWED = PREVIEWED, _("Checked, not yet imported")
    IMPORTING = "importing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


def list_path(instance: ListImport, filename: str) -> str:
    # Never the uploaded name. MEDIA_ROOT has no URL: nothing serves it.
    return f"lists/{uuid.uuid4().hex}.bin"


class ListImportQuerySet(ScopedQuerySet["ListImport"]):
    scope_field = "district__code"


class ListImport(ImportRecord):
    """An uploaded department list: the file (purged after MATCHING_FILE_DAYS), its hash (the
    same file imported twice is one import), the dry run's report and the counts."""

    district = models.ForeignKey(
        "org.Region", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    file = models.FileField(_("file"), upload_to=list_path, blank=True)
    file_hash = models.CharField(max_length=64, editable=False)
    headers = models.JSONField(default=dict, blank=True)  # the mapping used
    warnings = models.JSONField(default=list, blank=True)  # IDs unusable: matched by name
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ListImportStatus.choices,
        default=ListImportStatus.PREVIEWED,
    )
    matched_count = models.PositiveIntegerField(_("matched by ID"), default=0)
    fuzzy_count = models.PositiveIntegerField(_("matched by name"), default=0)
    review_count = models.PositiveIntegerField(_("to review"), default=0)
    finding_count = models.PositiveIntegerField(_("findings"), default=0)
    purged_at = models.DateTimeField(null=True, blank=True)
    # When it was confirmed and queued (status IMPORTING): the sweep of lists whose worker
    # died reads it (matching.importing.lists_stuck_fail).
    importing_since = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ListImportQuerySet.as_manager()

    class Meta(ImportRecord.Meta):
        verbose_name = _("department list")
        verbose_name_plural = _("department lists")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "source", "file_hash"],
                condition=models.Q(status="committed"),
                name="list_imported_once",
            )
        ]


class MatchMethod(models.TextChoices):
    NONE = "", _("Not matched")
    ID = "id", _("ID number")
    NAME = "name", _("Name, date of birth and village")


class Review(models.TextChoices):
    NONE = "", _("Not needed")
    PENDING = "pending", _("To review")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class ListRowQuerySet(ScopedQuerySet["ListRow"]):
    scope_field = "list_import__district__code"


# The list's rows and their findings are written only by the import, set-based, from ids the
# same statements read (the import locked, the villages looked up, the children joined), and
# none of what they point to is ever deleted but through the ORM (which cascades, protects
# and nulls them itself). Their foreign keys to those are kept without a database
# constraint: PostgreSQL checks each one row by row at COMMIT, and at 200,000 rows the seven
# of them (some 1,000,000 checks) took 13 s of an import whose target is 60.


class ListRow(models.Model):
    """One row of an imported list, staged: the ID number only as its keyed hash and masked
    form, the facts used to match it and the child it was matched to."""

    list_import = models.ForeignKey(
        ListImport, on_delete=models.CASCADE, related_name="rows", db_constraint=False
    )
    number = models.PositiveIntegerField(_("row"))
    id_hash = models.CharField(max_length=64, null=True, blank=True, db_index=True)  # noqa: DJ001
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(max_length=200, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    village = models.ForeignKey(
        "org.Region",
        verbose_name=_("village/community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(_("what the list says"), max_length=20, blank=True)
    detail = models.CharField(_("details"), max_length=200, blank=True)
    child = models.ForeignKey(
        "children.Child",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    candidate = models.ForeignKey(
        "children.Child",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    method = models.CharField(max_length=4, choices=MatchMethod.choices, blank=True)
    confidence = models.PositiveSmallIntegerField(_("confidence"), default=0)
    review = models.CharField(max_length=10, choices=Review.choices, blank=True)
    reviewed_by = models.ForeignKey(
        "org.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the department registered it on (lists with a date: a parent reported missing).
    reported_on = models.DateField(_("reported on"), null=True, blank=True)

    objects = ListRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("list row")
        ordering = ["list_import", "number"]
        indexes = [models.Index(fields=["review", "list_import"], name="listrow_review")]

    def __str__(self) -> str:
        return f"{self.list_import_id}:{self.number}"


class FindingRuleSet(DistrictRule):
    """A district's findings: each rule on or off, and the days to the visit it asks for."""

    not_in_archive = models.BooleanField(_("a child not in the archive"), default=True)
    dropout = models.BooleanField(
        _("dropped out or long absent, in school in the archive"), default=True
    )
    disability = models.BooleanField(
        _("a disability certificate, no disability in the archive"), default=True
    )
    poverty = models.BooleanField(
        _("a 低保/特困 family, no poverty category or assistance in the archive"), default=True
    )
    allowance_closed = models.BooleanField(_("an allowance paid for a closed child"), default=True)
    moved_out = models.BooleanField(_("moved out, still active here"), default=True)
    parent = models.BooleanField(_("a parent detained, in rehabilitation or missing"), default=True)
    death = models.BooleanField(_("a death"), default=True)
    missing_six_months = models.BooleanField(
        _("a parent reported missing over six months ago (R19): assess as de-facto unsupported"),
        default=True,
    )
    due_days = models.PositiveSmallIntegerField(_("visit within (days)"), default=7)

    class Meta:
        verbose_name = _("finding rules")
        verbose_name_plural = _("finding rules")


class RuleCode(models.TextChoices):
    NOT_IN_ARCHIVE = "not_in_archive", _("Not in the archive")
    DROPOUT = "dropout", _("Dropped out or long absent")
    DISABILITY = "disability", _("Disability not in the archive")
    POVERTY = "poverty", _("Poverty not in the archive")
    ALLOWANCE_CLOSED = "allowance_closed", _("Allowance for a closed child")
    MOVED_OUT = "moved_out", _("Moved out, still active")
    PARENT = "parent", _("Parent detained, in rehab or missing")
    DEATH = "death", _("Death")
    MISSING_SIX_MONTHS = "missing_six_months", _("Parent missing six months")


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed, archive updated")
    REGISTERED = "registered", _("Registered")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    REFERRED = "referred", _("Referred")


class FindingQuerySet(ScopedQuerySet["Finding"]):
    scope_field = "region_code"

    def open(self) -> FindingQuerySet:
        return self.filter(done=False)

    def open_for(self, child_ids: Iterable[int]) -> FindingQuerySet:
        """The open findings of these children (for the risk level: "open findings")."""
        return self.filter(done=False, child_id__in=list(child_ids))


class Finding(WorkItem):
    """What a list says that the archive does not: a task for the director of the child's
    village (or of the row's village, for a child not registered), closed with an outcome."""

    list_import = models.ForeignKey(
        ListImport, on_delete=models.CASCADE, related_name="findings", db_constraint=False
    )
    row = models.ForeignKey(
        ListRow, on_delete=models.CASCADE, related_name="findings", db_constraint=False
    )
    rule = models.CharField(_("rule"), max_length=20, choices=RuleCode.choices)
    source = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    child = models.ForeignKey(
        "children.Child", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    village = models.ForeignKey(
        "org.Region", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    region_code = models.CharField(max_length=12, db_index=True)
    suggested_category = models.CharField(max_length=32, blank=True)
    created_on = models.DateField(_("found on"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_link = models.CharField(_("link to the change"), max_length=200, blank=True)
    escalated = models.PositiveSmallIntegerField(default=0)  # reminders sent: 1 director, 2…3

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["done", "due_on", "pk"]
        indexes = [
            models.Index(fields=["done", "region_code", "due_on"], name="finding_open"),
            models.Index(fields=["child", "done"], name="finding_child"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["row", "rule"], name="one_finding_per_row_rule")
        ]

    def __str__(self) -> str:
        return str(self.get_rule_display())

    @property
    def days_to_close(self) -> int | None:
        return (self.done_on - self.created_on).days if self.done_on else None
