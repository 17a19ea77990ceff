"""The records of a child's archive: assistance, referrals, work-log notes and problems."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from children.models import Assistance, Child, Problem, Referral, WorkNote
from core import clock
from org.models import User

RECORD_MODELS: dict[str, Any] = {
    "assistance": Assistance,
    "referral": Referral,
    "note": WorkNote,
    "problem": Problem,
}
_RECORD_DATES = {
    "assistance": ("started_on", "ended_on"),
    "referral": ("referred_on",),
    "note": ("noted_on",),
    "problem": ("found_on", "solved_on"),
}


def record_save(
    *,
    by: User,
    child: Child,
    kind: str,
    values: dict[str, Any],
    instance: Any = None,
    today: datetime.date | None = None,
    client_token: uuid.UUID | None = None,
) -> Any:
    """Add or change an assistance, referral, work-log note or problem of a child."""
    today = today or clock.today()
    model = RECORD_MODELS[kind]
    if instance is None and client_token is not None:
        earlier = model.objects.filter(child=child, client_token=client_token).first()
        if earlier is not None:
            return earlier
    errors: dict[str, list[str]] = {}
    for name in _RECORD_DATES[kind]:
        if values.get(name) and values[name] > today:
            errors[name] = [_("This date cannot be in the future.")]
    started, ended = values.get("started_on"), values.get("ended_on")
    if kind == "assistance" and started and ended and ended < started:
        errors["ended_on"] = [_("The end cannot be before the start.")]
    if kind == "assistance" and values.get("amount") is not None and values["amount"] < 0:
        errors["amount"] = [_("The amount cannot be negative.")]
    if kind == "problem" and values.get("solved_on") and not values.get("solution"):
        errors["solution"] = [_("Say how the problem was solved.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = instance or model(child=child, created_by=by, client_token=client_token)
        for key, value in values.items():
            setattr(record, key, value)
        record.full_clean(exclude=["child", "created_by", "client_token"])
        record._history_user = by
        record.save()
        # The archive counts as updated whenever its records change (R11 "dynamic updates").
        Child.objects.filter(pk=child.pk).update(updated_at=clock.now())
    return record
