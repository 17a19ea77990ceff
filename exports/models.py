"""Export jobs: a workbook built in the background (Celery) for one region, kept on the
default storage for a week, downloadable by the person who asked for it.

The job row is the whole state machine: queued -> running -> done | failed, then expired once
the file is purged. The worker claims a job with a conditional update (queued -> running), so a
doubled task builds the file once.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedQuerySet

# How long a finished export stays downloadable.
EXPORT_LIFETIME = datetime.timedelta(days=7)


class ExportKind(models.TextChoices):
    STATISTICS = "statistics", _("Statistics workbook")
    NATIONAL = "national", _("For the national children's welfare system")
    ROSTER = "roster", _("Children's roster")


# Kinds asked for by region (the page and the API); a roster export is asked for from the
# child list, with its filter (exports.roster).
AREA_KINDS = (ExportKind.STATISTICS, ExportKind.NATIONAL)


class NationalMode(models.TextChoices):
    FULL = "full", _("Every child of the region")
    CHANGES = "changes", _("Changes since the last export")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


FINISHED = frozenset({ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED})


class ExportJobQuerySet(ScopedQuerySet["ExportJob"]):
    """Jobs whose exported region is inside the user's scope (an export of a region the user
    no longer serves disappears with the assignment)."""

    scope_field = "area__code"


def export_path(instance: ExportJob, filename: str) -> str:
    # Never a name a person chose; the download gives the file a readable name.
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"exports/{instance.created_at:%Y/%m}/{instance.pk.hex}.{suffix}"


class ExportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ExportKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    area = models.ForeignKey(
        "org.Region",
        verbose_name=_("region exported"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="export_jobs",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    file = models.FileField(_("file"), upload_to=export_path, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    sheet_count = models.PositiveSmallIntegerField(_("sheets"), default=0)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="export_progress_0_100"
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_owner_created"),
            models.Index(fields=["status", "expires_at"], name="export_status_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.area_id} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def downloadable(self, now: datetime.datetime) -> bool:
        return (
            self.status == ExportStatus.DONE
            and bool(self.file)
            and (self.expires_at is None or self.expires_at > now)
        )

    @property
    def suffix(self) -> str:
        """The file's format: a roster's CSV or XLSX, every other export a workbook."""
        return "csv" if self.params.get("format") == "csv" else "xlsx"

    def download_name(self) -> str:
        on = self.params.get("date", "")
        if self.kind == ExportKind.ROSTER:
            return f"儿童名册-{self.area.code}-{on.replace('-', '')}.{self.suffix}"
        if self.kind == ExportKind.NATIONAL:
            return f"national-{self.params.get('mode', '')}-{self.area.code}-{on}.xlsx"
        return f"{self.kind}-{self.area.code}-{on}.xlsx"


class NationalExportQuerySet(ScopedQuerySet["NationalExport"]):
    scope_field = "area__code"


class NationalExport(models.Model):
    """The ledger of exports for the national children's welfare information system: which
    region, which mode, by whom, when the archive was read, how many children, which file.
    A row is written with the finished job, in the same transaction; the next "changes"
    export of the same region is relative to the latest row (`as_of`). Rows outlive the
    job's file, which is purged like any export's."""

    job = models.OneToOneField(
        ExportJob, verbose_name=_("export"), on_delete=models.PROTECT, related_name="national"
    )
    area = models.ForeignKey(
        "org.Region", verbose_name=_("region exported"), on_delete=models.PROTECT, related_name="+"
    )
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    mode = models.CharField(_("mode"), max_length=10, choices=NationalMode.choices)
    since = models.ForeignKey(
        "self",
        verbose_name=_("changes since"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    as_of = models.DateTimeField(_("archive as of"))
    children = models.PositiveIntegerField(_("children"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    closed_count = models.PositiveIntegerField(_("closed"), default=0)
    full_ids = models.BooleanField(_("full ID numbers"), default=False)
    file_name = models.CharField(_("file"), max_length=100)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    objects = NationalExportQuerySet.as_manager()

    class Meta:
        verbose_name = _("national-system export")
        verbose_name_plural = _("national-system exports")
        ordering = ["-as_of", "-pk"]
        indexes = [models.Index(fields=["area", "-as_of"], name="national_area_as_of")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} · {self.area_id} · {self.as_of:%Y-%m-%d %H:%M}"
