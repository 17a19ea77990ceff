"""The system administrator's page of background work (issue 19): each scheduled task with
its schedule, queue and last runs (carecase.models.TaskRun: start, success and duration,
failure with its exception type and place), each queue's last heartbeat, and a button that
runs a task now (after a failure, once its cause is fixed). Only task names, times and
exception types: nothing of children's case data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from carecase.celery import app
from carecase.models import TaskRun
from carecase.selectors import queue_workers
from core import permissions
from core.http import AuthenticatedRequest
from org import adminlog
from org.models import AdminAction

HEARTBEAT = "carecase.tasks.heartbeat"
# What each scheduled task does, as the page names it.
LABELS = {
    "notifications.tasks.send_reminders": gettext_lazy("Daily reminder sweep"),
    "notifications.tasks.retry_deliveries": gettext_lazy("Retry of email and SMS copies"),
    "reports.tasks.escalate_overdue_reports": gettext_lazy("Escalation of overdue reports"),
    "stats.tasks.snapshot_regions": gettext_lazy("Dashboard snapshot"),
    "children.tasks.mark_age_reviews": gettext_lazy("Age reviews"),
    "children.tasks.purge_roster_uploads": gettext_lazy("Purge of roster uploads"),
    "training.tasks.flag_rotation": gettext_lazy("Annual training rotation"),
    "exports.tasks.purge_expired_exports": gettext_lazy("Purge of expired exports"),
    "matching.tasks.remind_findings": gettext_lazy("Reminders of list findings"),
    "matching.tasks.raise_missing_parents": gettext_lazy("Parents missing six months"),
    "matching.tasks.purge_list_files": gettext_lazy("Purge of department lists"),
    "matching.tasks.fail_stuck_imports": gettext_lazy("Department lists stuck importing"),
    "providers.tasks.remind_referrals": gettext_lazy("Reminders of referrals"),
    "activities.tasks.remind_safety_education": gettext_lazy("Safety-education reminders"),
    "caseplans.tasks.remind_actions": gettext_lazy("Reminders of case plan actions"),
    "caseplans.tasks.remind_reviews": gettext_lazy("Reminders of case plan reviews"),
    "carecase.tasks.create_log_partitions": gettext_lazy("Log partitions of the coming months"),
    "carecase.tasks.archive_logs": gettext_lazy("Archive and purge of old log months"),
}


@dataclass
class ScheduledTask:
    name: str
    label: str
    schedule: str
    queue: str
    run: TaskRun | None

    @property
    def failing(self) -> bool:
        return bool(self.run and self.run.failing)


def _queue(name: str) -> str:
    return str(app.amqp.router.route({}, name)["queue"].name)


def _schedule(value: Any) -> str:
    if isinstance(value, int | float | datetime.timedelta):
        seconds = value.total_seconds() if isinstance(value, datetime.timedelta) else value
        return _("every %(n)d s") % {"n": seconds}
    minute, hour = (getattr(value, "_orig_minute", "*"), getattr(value, "_orig_hour", "*"))
    if hour == "*" and str(minute).startswith("*/"):
        return _("every %(n)s min") % {"n": str(minute)[2:]}
    if hour == "*":
        return _("hourly at :%(minute)s") % {"minute": str(minute).zfill(2)}
    return _("daily at %(hour)s:%(minute)s") % {
        "hour": str(hour).zfill(2),
        "minute": str(minute).zfill(2),
    }


def scheduled_tasks() -> list[ScheduledTask]:
    """Each task of the beat schedule once (the heartbeats apart), with its last runs."""
    runs = {run.name: run for run in TaskRun.objects.all()}
    tasks: dict[str, ScheduledTask] = {}
    entry: dict[str, Any]
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        name = str(entry["task"])
        if name == HEARTBEAT or name in tasks:
            continue
        label = str(LABELS.get(name, name))
        tasks[name] = ScheduledTask(
            name, label, _schedule(entry["schedule"]), _queue(name), runs.get(name)
        )
    return sorted(tasks.values(), key=lambda t: (not t.failing, t.queue, t.label))


def _require_system_admin(request: AuthenticatedRequest) -> None:
    if not permissions.is_system_admin(request.user):
        raise PermissionDenied(_("Background tasks are the system administrator's."))


def task_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_system_admin(request)
    return render(
        request, "security/tasks.html", {"tasks": scheduled_tasks(), "queues": queue_workers()}
    )


@require_POST
def task_run(request: AuthenticatedRequest) -> HttpResponse:
    """Queue a scheduled task now, on its own queue; the task is idempotent (every scheduled
    task is: a second run finds nothing left to do)."""
    _require_system_admin(request)
    name = request.POST.get("task", "")
    task = next((t for t in scheduled_tasks() if t.name == name), None)
    if task is None:
        raise Http404
    app.tasks[task.name].apply_async(queue=task.queue)
    adminlog.record(
        by=request.user,
        action=AdminAction.RUN_TASK,
        target_type="celery.task",
        target_id=task.name,
        label=task.label,
        request=request,
    )
    messages.success(request, _("%(task)s is queued.") % {"task": task.label})
    return redirect("tasks")
