"""The Celery application: Redis broker when REDIS_URL is set, kombu's filesystem broker
otherwise (settings decide; see carecase/settings.py). Each task a worker runs is recorded in
carecase.models.TaskRun (last start, success, failure), not when run eagerly (tests, the
embedded run's in-process calls).

A task queued during a request carries the request's id and user id in its message headers
(before_task_publish), and the worker's log lines while it runs carry them with the task's
name and id (task_prerun / task_postrun; carecase.requestid)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_success,
    worker_init,
    worker_ready,
)
from django.apps import apps

from carecase import requestid
from core import clock, metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecase.settings")

app = Celery("carecase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_started: dict[str, float] = {}
_contexts: dict[str, Any] = {}


@worker_init.connect
def _fresh_metrics(**_: Any) -> None:
    """The worker's main process starts: its host's metric files of a previous run go."""
    metrics.reset_process_dir()


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    context = requestid.current.get()
    if headers is None or context is None or context.request_id is None:
        return
    headers[requestid.TASK_HEADER] = context.request_id
    user_id = requestid.user_id()
    if user_id is not None:
        headers[requestid.TASK_USER_HEADER] = user_id


@task_prerun.connect
def _enter_context(task_id: str = "", task: Any = None, **_: Any) -> None:
    """The ids of the message's request, else (a task run eagerly inside a request) the
    current ones; reset after the task (task_postrun), so a worker thread keeps none."""
    if task is None:
        return
    outer = requestid.current.get()
    request_id = requestid.clean(getattr(task.request, requestid.TASK_HEADER, None))
    user_id = getattr(task.request, requestid.TASK_USER_HEADER, None)
    if request_id is None and outer is not None:
        request_id, user_id = outer.request_id, requestid.user_id()
    context = requestid.Context(
        request_id=request_id,
        user_id=user_id if isinstance(user_id, int) else None,
        task_name=task.name,
        task_id=task_id,
    )
    _contexts[task_id] = requestid.current.set(context)


@task_postrun.connect
def _leave_context(task_id: str = "", **_: Any) -> None:
    token = _contexts.pop(task_id, None)
    if token is not None:
        requestid.current.reset(token)


@worker_ready.connect
def _heartbeat_at_start(sender: Any, **kwargs: object) -> None:
    """Record the worker's queues as soon as it is ready, not only at beat's next tick."""
    for queue in sender.app.amqp.queues.consume_from:
        sender.app.send_task("carecase.tasks.heartbeat", args=[queue], queue=queue)


def _record(name: str, **values: Any) -> None:
    # By the app registry: this module is imported before the models can be.
    apps.get_model("carecase", "TaskRun").objects.update_or_create(name=name, defaults=values)


def _eager(task: Any) -> bool:
    return bool(getattr(task.request, "is_eager", False))


@task_prerun.connect
def _task_started(sender: Any = None, task_id: str = "", task: Any = None, **_: Any) -> None:
    if task is None or _eager(task):
        return
    _started[task_id] = time.monotonic()
    _record(task.name, started_at=clock.now())


@task_success.connect
def _task_succeeded(sender: Any = None, **_: Any) -> None:
    if sender is None or _eager(sender):
        return
    began = _started.pop(sender.request.id, None)
    seconds = None if began is None else round(time.monotonic() - began, 3)
    _record(sender.name, succeeded_at=clock.now(), seconds=seconds)


def _where(trace: Any) -> str:
    """The innermost frame of the project's own code in a traceback, as `path:line`."""
    root = str(Path(__file__).resolve().parents[1])
    place = ""
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.startswith(root) and "/.venv/" not in filename:
            place = f"{Path(filename).relative_to(root)}:{trace.tb_lineno}"
        trace = trace.tb_next
    return place


@task_failure.connect
def _task_failed(
    sender: Any = None,
    task_id: str = "",
    exception: BaseException | None = None,
    traceback: Any = None,
    **_: Any,
) -> None:
    """Record the failure as the exception's type and where in the project it was raised:
    never its message, which may quote a child's data (the system administrator reads this;
    the message and trace go to the worker's log)."""
    if sender is None or _eager(sender):
        return
    _started.pop(task_id, None)
    error = type(exception).__name__ if exception is not None else "Error"
    place = _where(traceback)
    _record(sender.name, failed_at=clock.now(), error=f"{error} ({place})" if place else error)
