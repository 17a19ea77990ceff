"""The one way to notify someone: notify() and notify_each() write in-app notifications and
their email/SMS copies in the caller's transaction (set-based: one INSERT per table however
many recipients), and queue the sending of the copies for when it commits, so a page never
waits for the SMS gateway and no copy is lost (a failed send is retried by the delivery
machinery). The reminder pipeline (notifications.delivery) writes its own rows: it marks
its reminders sent in the same transaction and sends right after."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from core.queueing import delay_on_commit
from notifications.delivery import ALL_CHANNELS, deliveries_for
from notifications.models import Delivery, Notification
from notifications.tasks import send_deliveries
from org.models import User

TITLE_MAX = 200  # Notification.title's max_length


@dataclass(frozen=True)
class Message:
    """One notification to one person, with the addresses of its copies."""

    recipient_id: int
    title: str
    body: str = ""
    link: str = ""
    child_id: int | None = None
    email: str = ""
    phone: str = ""


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    child_id: int | None = None,
    channels: Sequence[str] = ALL_CHANNELS,
) -> list[Notification]:
    """The same notification to each of `recipients`, with a copy on each of `channels` to
    those who have an address for it."""
    return notify_each(
        kind=kind,
        messages=[
            Message(
                recipient_id=user.pk,
                title=title,
                body=body,
                link=link,
                child_id=child_id,
                email=user.email,
                phone=user.phone,
            )
            for user in recipients
        ],
        channels=channels,
    )


def notify_each(
    *, kind: str, messages: Sequence[Message], channels: Sequence[str] = ALL_CHANNELS
) -> list[Notification]:
    """One notification per message (each its own text), in the order given; returns them
    saved (with their ids)."""
    notifications = [
        Notification(
            recipient_id=m.recipient_id,
            kind=kind,
            title=m.title[:TITLE_MAX],
            body=m.body,
            link=m.link,
            child_id=m.child_id,
        )
        for m in messages
    ]
    if not notifications:
        return notifications
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, batch_size=1000)
        deliveries = [
            copy
            for notification, m in zip(notifications, messages, strict=True)
            for copy in deliveries_for(
                notification, email=m.email, phone=m.phone, channels=channels
            )
        ]
        Delivery.objects.bulk_create(deliveries, batch_size=1000)
        if deliveries:
            delay_on_commit(send_deliveries)
    return notifications
