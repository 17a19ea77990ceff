"""Daily snapshots of the dashboard figures, one row per region and day (the 12-month trends)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedQuerySet


class RegionSnapshotQuerySet(ScopedQuerySet["RegionSnapshot"]):
    scope_field = "region__code"


class RegionSnapshot(models.Model):
    """The figures of one village, town or district on one day, written by the snapshot task
    (stats.tasks.snapshot_regions, every STATS_SNAPSHOT_MINUTES; the day's last run stays).
    `figures` holds the same keys as a live dashboard row (stats.figures.FIGURE_KEYS)."""

    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="snapshots",
    )
    date = models.DateField(_("date"))
    figures = models.JSONField(_("figures"), default=dict)
    # When the figures were computed (the task rewrites today's row every few minutes: the
    # dashboards of towns and districts read it while fresh: stats.figures.FRESH_FACTOR).
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegionSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("region snapshot")
        verbose_name_plural = _("region snapshots")
        ordering = ["region", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["region", "date"], name="snapshot_region_date")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} · {self.date}"
