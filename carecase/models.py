from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task (shown on the health endpoint)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    last_seen = models.DateTimeField(_("last seen"))
    hostname = models.CharField(_("host"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class TaskRun(models.Model):
    """The last run of each Celery task, by name, as a worker ran it (carecase.celery's
    signals): when it last started, succeeded and failed, with the failure's exception type
    and the place in the project's code that raised it (never its message). The
    readiness endpoint judges the sweep's freshness by it; the system administrator's page of
    scheduled tasks lists it."""

    name = models.CharField(_("task"), max_length=200, unique=True)
    started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("last succeeded"), null=True, blank=True)
    seconds = models.FloatField(_("seconds of the last success"), null=True, blank=True)
    failed_at = models.DateTimeField(_("last failed"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("task run")
        verbose_name_plural = _("task runs")

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        """It failed, and has not succeeded since."""
        failed, succeeded = self.failed_at, self.succeeded_at
        return bool(failed and (not succeeded or failed > succeeded))


class LogKind(models.TextChoices):
    ACCESS = "access", _("Access log")
    ADMIN = "admin", _("Administrators' log")


def log_archive_path(archive: LogArchive, filename: str) -> str:
    return f"log-archives/{archive.kind}/{filename}"


class LogArchive(models.Model):
    """A month of one log written to the file storage before its rows were purged
    (carecase.log_archive): a gzipped JSON-lines file (a header line naming the columns, then
    one row a line), its row count and SHA-256, read back and verified before the purge."""

    kind = models.CharField(_("log"), max_length=10, choices=LogKind.choices)
    month = models.DateField(_("month"), help_text="The month's first day (TIME_ZONE).")
    rows = models.PositiveIntegerField(_("rows"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("file"), upload_to=log_archive_path, max_length=200)
    created_at = models.DateTimeField(_("archived"))
    purged_at = models.DateTimeField(_("purged"), null=True, blank=True)

    class Meta:
        verbose_name = _("log archive")
        verbose_name_plural = _("log archives")
        ordering = ["-month", "kind"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["kind", "month"], name="logarchive_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m}"
