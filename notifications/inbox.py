"""A person's inbox: their own notifications, unread first, and marking them read."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from core import clock
from notifications.models import Notification
from org.models import User


def inbox_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The notifications addressed to `user` (only the unread ones when `unread_only`),
    unread first, newest first."""
    queryset = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.annotate(
        unread_first=Case(
            When(read_at__isnull=True, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("unread_first", "-created", "-pk")


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark `notification` read now, unless it was read before."""
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read now; returns how many."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=clock.now()
    )
