"""The request id: one per request (RequestIdMiddleware), carried into the Celery tasks the
request queues (carecase.celery), written on every log line (carecase.logfilters.LogContext).

A request brings its own in `X-Request-ID` (a proxy's, or a phone's for its retries) when it
is a sane token; otherwise a new uuid4 hex. The user id travels beside it: an id, never a
name or an ID number."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject, empty

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# Task message headers (carecase.celery).
TASK_HEADER = "carecase_request_id"
TASK_USER_HEADER = "carecase_user_id"

SANE = re.compile(r"[A-Za-z0-9._:-]{8,64}")


@dataclass
class Context:
    """A request's (`request` set) or a task's (the ids of the request that queued it, if
    any, from its message; the task's name and id)."""

    request_id: str | None
    user_id: int | None = None
    request: Any = None
    task_name: str | None = None
    task_id: str | None = None


current: ContextVar[Context | None] = ContextVar("carecase_request", default=None)


def clean(value: object) -> str | None:
    """The value when it is a token of 8-64 letters, digits and `._:-`; else None."""
    if isinstance(value, str) and SANE.fullmatch(value):
        return value
    return None


def new() -> str:
    return uuid.uuid4().hex


def request_id() -> str | None:
    context = current.get()
    return context.request_id if context is not None else None


def task() -> tuple[str | None, str | None]:
    context = current.get()
    return (context.task_name, context.task_id) if context is not None else (None, None)


def user_id() -> int | None:
    """The signed-in user's id once the request knows it (Django's session user once read,
    DRF's token user once authenticated): a log line never makes the query itself."""
    context = current.get()
    if context is None:
        return None
    if context.request is None:
        return context.user_id
    user = vars(context.request).get("user")
    unread = isinstance(user, SimpleLazyObject) and getattr(user, "_wrapped", None) is empty
    if user is None or unread or not user.is_authenticated:
        return None
    pk = user.pk
    return pk if isinstance(pk, int) else None


@receiver(request_finished, dispatch_uid="carecase.requestid.forget")
def forget(**_: Any) -> None:
    """The response is sent: the thread's next log lines belong to no request."""
    current.set(None)
