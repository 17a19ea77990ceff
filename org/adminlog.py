"""The administrators' log: every change made by a system, security or audit administrator or
the break-glass superuser, with who, what, and the values before and after. Append-only
(org.append_only); the audit administrator reads it at /audit/admin-log/."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest

from org.models import AdminLogEntry, User

# Never written to the log, whatever the model.
SECRET_FIELDS = frozenset({"password", "digest", "token_key"})


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime.date | datetime.datetime | uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj` (foreign keys as ids), secrets left out."""
    values: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in SECRET_FIELDS or (fields is not None and f.name not in fields):
            continue
        values[f.name] = _plain(getattr(obj, f.attname))
    return values


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    *,
    by: User | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    label: str = "",
) -> AdminLogEntry:
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        label = label or str(target)
    ip = None
    if request is not None:
        ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return AdminLogEntry.objects.create(
        by=by if by is not None and by.pk else None,
        by_username=by.get_username() if by is not None else "",
        action=action,
        target_type=target_type[:60],
        target_id=target_id[:64],
        target=label[:200],
        before=before or {},
        after=after or {},
        ip=ip or None,
    )
