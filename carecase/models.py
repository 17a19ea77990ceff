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
