"""An uploaded roster workbook, kept between its dry run and its commit."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.spreadsheets import PREVIEWED, ImportRecord


class RosterImportStatus(models.TextChoices):
    PREVIEWED = PREVIEWED, _("Checked, not yet imported")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


def roster_path(instance: RosterImport, filename: str) -> str:
    # Never the uploaded name: it may hold a child's or a village's name. The file lives under
    # MEDIA_ROOT, which has no URL: nothing serves it.
    return f"rosters/{uuid.uuid4().hex}.xlsx"


class RosterImport(ImportRecord):
    file = models.FileField(_("file"), upload_to=roster_path)
    district = models.ForeignKey(
        "org.Region", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RosterImportStatus.choices,
        default=RosterImportStatus.PREVIEWED,
    )
    new_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    warnings = models.JSONField(default=list, blank=True)

    class Meta(ImportRecord.Meta):
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    @property
    def error_count(self) -> int:
        return len(self.errors)
