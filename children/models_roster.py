"""An uploaded roster workbook, kept between its dry run and its commit."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RosterImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Checked, not yet imported")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


def roster_path(instance: RosterImport, filename: str) -> str:
    # Never the uploaded name: it may hold a child's or a village's name. The file lives under
    # MEDIA_ROOT, which has no URL: nothing serves it.
    return f"rosters/{uuid.uuid4().hex}.xlsx"


class RosterImport(models.Model):
    file = models.FileField(_("file"), upload_to=roster_path)
    original_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    district = models.ForeignKey(
        "org.Region", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RosterImportStatus.choices,
        default=RosterImportStatus.PREVIEWED,
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    # [{"row": 3, "column": "公民身份号码", "message": "..."}]; row 0 is the file as a whole.
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def can_commit(self) -> bool:
        return self.status == RosterImportStatus.PREVIEWED and not self.errors
