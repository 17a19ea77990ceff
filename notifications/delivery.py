"""Delivery: claim pending reminders, write the in-app notifications (one digest per person
above the rule's threshold), then send the email and SMS copies with retries.

Claiming is a conditional UPDATE (`... WHERE status = 'pending'` or a stale claim) stamping a
fresh token, so two workers never claim the same row; on PostgreSQL the candidate rows are
first locked with `select_for_update(skip_locked=True)` so concurrent claimers pass each other
instead of waiting. A row is sent once: reminders become `sent` in the same transaction that
writes their notification; a failed send goes back to `pending` with attempts + 1 and an
exponential backoff, and becomes `failed` (visible in the admin) after MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications import channels
from notifications.models import (
    Channel,
    Delivery,
    Kind,
    Notification,
    NotificationKind,
    Reminder,
    SendStatus,
)
from notifications.rules import (
    DEFAULTS,
    MAX_ATTEMPTS,
    RETRY_BASE_SECONDS,
    STALE_CLAIM_SECONDS,
    district_rules,
)
from org.models import User

logger = logging.getLogger(__name__)
DIGEST_LINES = 50


@dataclass
class DeliveryResult:
    reminders: int = 0
    notifications: int = 0
    failed: int = 0


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failure: base, 2×base, 4×base…"""
    return datetime.timedelta(seconds=RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def _claimable(now: datetime.datetime) -> Q:
    stale = now - datetime.timedelta(seconds=STALE_CLAIM_SECONDS)
    return Q(status=SendStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ) | Q(status=SendStatus.CLAIMED, claimed_at__lt=stale)


def claim(queryset: QuerySet[Any], now: datetime.datetime, limit: int) -> uuid.UUID | None:
    """Claim up to `limit` claimable rows of `queryset`; returns the token stamped on them
    (None when nothing was claimed)."""
    condition = _claimable(now)
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = queryset.filter(condition).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return None
        claimed = queryset.model.objects.filter(condition, pk__in=ids).update(
            status=SendStatus.CLAIMED, claim_token=token, claimed_at=now
        )
    return token if claimed else None


# --- In-app: reminders → notifications ------------------------------------------------------


def _reminder_text(reminder: Reminder) -> tuple[str, str]:
    child = reminder.child
    village = child.village.name
    days = (timezone.localdate() - reminder.due_date).days
    titles = {
        Kind.CONTACT_DUE_SOON: _("Contact due soon: %(child)s"),
        Kind.CONTACT_OVERDUE: _("Contact overdue: %(child)s"),
        Kind.VISIT_DUE_SOON: _("Home visit due soon: %(child)s"),
        Kind.VISIT_OVERDUE: _("Home visit overdue: %(child)s"),
    }
    title = titles[Kind(reminder.kind)] % {"child": child.name}
    if days > 0:
        body = ngettext(
            "%(child)s (%(village)s) was due on %(date)s, %(days)d day ago.",
            "%(child)s (%(village)s) was due on %(date)s, %(days)d days ago.",
            days,
        )
    else:
        body = _("%(child)s (%(village)s) is due on %(date)s.")
    body = body % {"child": child.name, "village": village, "date": reminder.due_date, "days": days}
    return title, body


def _notifications_for(user: User, reminders: list[Reminder], threshold: int) -> list[Notification]:
    if len(reminders) > threshold:
        lines = [_reminder_text(r)[0] for r in reminders[:DIGEST_LINES]]
        if len(reminders) > DIGEST_LINES:
            lines.append(_("… and %(count)d more.") % {"count": len(reminders) - DIGEST_LINES})
        title = ngettext(
            "You have %(count)d visit reminder",
            "You have %(count)d visit reminders",
            len(reminders),
        ) % {"count": len(reminders)}
        return [
            Notification(
                recipient=user,
                kind=NotificationKind.DIGEST,
                title=title,
                body="\n".join(lines),
                link=reverse("notifications:inbox"),
            )
        ]
    result = []
    for reminder in reminders:
        title, body = _reminder_text(reminder)
        result.append(
            Notification(
                recipient=user,
                kind=reminder.kind,
                title=title,
                body=body,
                link=reverse("children:detail", args=[reminder.child_id]),
                child_id=reminder.child_id,
            )
        )
    return result


def _deliveries_for(user: User, notifications: Iterable[Notification]) -> list[Delivery]:
    rows = []
    for notification in notifications:
        if user.email:
            rows.append(
                Delivery(notification=notification, channel=Channel.EMAIL, address=user.email)
            )
        if user.phone:
            rows.append(
                Delivery(notification=notification, channel=Channel.SMS, address=user.phone)
            )
    return rows


def deliver_in_app(
    now: datetime.datetime | None = None, *, threshold: int | None = None, batch: int = 5000
) -> DeliveryResult:
    """Turn every claimable reminder into in-app notifications, person by person (a person's
    reminders claimed together so a digest covers them all)."""
    now = now or timezone.now()
    result = DeliveryResult()
    rules = district_rules() if threshold is None else {}
    recipients = list(
        Reminder.objects.filter(_claimable(now))
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    users = User.objects.in_bulk(recipients)
    for recipient_id in recipients:
        user = users[recipient_id]
        while token := claim(Reminder.objects.filter(recipient_id=recipient_id), now, batch):
            reminders = list(
                Reminder.objects.filter(claim_token=token, status=SendStatus.CLAIMED)
                .select_related("child__village")
                .order_by("due_date", "pk")
            )
            limit = threshold
            if limit is None:
                limit = rules.get(_district_of(user, reminders), DEFAULTS).digest_threshold
            try:
                result.notifications += _write(user, reminders, limit, now)
                result.reminders += len(reminders)
            except Exception as exc:
                logger.exception("Reminder delivery to user %s failed", recipient_id)
                result.failed += _record_failure(Reminder, [r.pk for r in reminders], exc, now)
    return result


def _district_of(user: User, reminders: list[Reminder]) -> str:
    """The district whose rule sets `user`'s digest threshold: that of the children
    (the first reminder's child)."""
    return reminders[0].child.region_code[:6] + "000000"


def _write(user: User, reminders: list[Reminder], threshold: int, now: datetime.datetime) -> int:
    with transaction.atomic():
        notifications = Notification.objects.bulk_create(
            _notifications_for(user, reminders, threshold)
        )
        Delivery.objects.bulk_create(_deliveries_for(user, notifications))
        if len(notifications) == 1:
            Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(
                status=SendStatus.SENT, sent_at=now, notification=notifications[0], claim_token=None
            )
        else:
            for reminder, notification in zip(reminders, notifications, strict=True):
                reminder.status = SendStatus.SENT
                reminder.sent_at = now
                reminder.notification = notification
                reminder.claim_token = None
            Reminder.objects.bulk_update(
                reminders, ["status", "sent_at", "notification", "claim_token"], batch_size=1000
            )
    return len(notifications)


def _record_failure(model: Any, ids: list[int], exc: Exception, now: datetime.datetime) -> int:
    """attempts + 1; back to pending after a backoff, or failed after MAX_ATTEMPTS. Returns
    how many became failed."""
    failed = 0
    error = f"{type(exc).__name__}: {exc}"[:2000]
    for row in model.objects.filter(pk__in=ids).only("pk", "attempts"):
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            status, next_at = SendStatus.FAILED, None
            failed += 1
        else:
            status, next_at = SendStatus.PENDING, now + backoff(attempts)
        model.objects.filter(pk=row.pk).update(
            attempts=attempts,
            status=status,
            next_attempt_at=next_at,
            last_error=error,
            claim_token=None,
        )
    return failed


# --- Email and SMS: deliveries ----------------------------------------------------------------


def deliver_external(now: datetime.datetime | None = None, *, batch: int = 500) -> DeliveryResult:
    """Send every claimable email and SMS copy; failures retry with backoff."""
    now = now or timezone.now()
    result = DeliveryResult()
    while token := claim(Delivery.objects.all(), now, batch):
        for delivery in Delivery.objects.filter(
            claim_token=token, status=SendStatus.CLAIMED
        ).select_related("notification"):
            try:
                channels.SENDERS[delivery.channel](delivery.notification, delivery.address)
            except Exception as exc:
                logger.warning("%s to %s failed: %s", delivery.channel, delivery.address, exc)
                result.failed += _record_failure(Delivery, [delivery.pk], exc, now)
            else:
                Delivery.objects.filter(pk=delivery.pk, claim_token=token).update(
                    status=SendStatus.SENT, sent_at=timezone.now(), claim_token=None
                )
                result.notifications += 1
    return result
