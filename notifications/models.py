"""Reminders (one row per dedupe key), the in-app inbox, outbound deliveries per channel, and
each district's reminder rule (defaults in notifications.rules)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.district_rules import DistrictRule
from core.text import mask_address


class NotificationKind(models.TextChoices):
    """What a notification is about; the first five are also the kinds of reminders."""

    CONTACT_DUE_SOON = "contact_due_soon", _("Contact due soon")
    CONTACT_OVERDUE = "contact_overdue", _("Contact overdue")
    VISIT_DUE_SOON = "visit_due_soon", _("Home visit due soon")
    VISIT_OVERDUE = "visit_overdue", _("Home visit overdue")
    INSPECTION_DUE = "inspection_due", _("Village inspection due")
    DIGEST = "digest", _("Reminder digest")
    REPORT_FILED = "report_filed", _("Mandatory report")
    REPORT_OVERDUE = "report_overdue", _("Overdue steps")
    RECTIFICATION = "rectification", _("Rectification items")
    REPORT_ACKNOWLEDGED = "report_acknowledged", _("Report acknowledged")
    OTHER = "other", _("Other")


# The kinds a Reminder row may have (the sweep raises them; delivery turns them into
# notifications of the same kind).
REMINDER_KINDS = (
    NotificationKind.CONTACT_DUE_SOON,
    NotificationKind.CONTACT_OVERDUE,
    NotificationKind.VISIT_DUE_SOON,
    NotificationKind.VISIT_OVERDUE,
    NotificationKind.INSPECTION_DUE,
)


class EscalationLevel(models.IntegerChoices):
    """Who is told: a reminder's or an overdue report step's level (reports use the last two)."""

    DIRECTOR = 0, _("Child director")
    SUPERVISOR = 1, _("Town supervisor")
    DISTRICT = 2, _("District civil affairs")


class SendStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Notification(models.Model):
    """One message in a person's in-app inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    child = models.ForeignKey(
        "children.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Reminder(models.Model):
    """A reminder owed to one person about a child (a visit) or a village (an inspection):
    unique on (child or village, kind, due date, recipient, level), so a sweep run twice
    creates nothing twice."""

    # No separate index on child or village: each dedupe key starts with it. No database
    # foreign-key constraints on these derived rows either: the sweep inserts them from rows it
    # has just joined (children, villages, active staff), so the constraint checks only cost
    # (about half the sweep's time at district scale); the ORM still cascades deletes.
    child = models.ForeignKey(
        "children.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    village = models.ForeignKey(
        "org.Region",
        verbose_name=_("village/community"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=[(k.value, k.label) for k in REMINDER_KINDS]
    )
    due_date = models.DateField(_("due date"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="reminders",
        db_constraint=False,
        db_index=False,  # reminder_status_idx (status, recipient) serves the delivery
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=SendStatus.choices, default=SendStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminders",
        db_index=False,  # reminder_notification_idx, partial: only sent rows have one
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind", "due_date", "recipient", "level"],
                condition=Q(child__isnull=False),
                name="reminder_dedupe_key",
            ),
            models.UniqueConstraint(
                fields=["village", "kind", "due_date", "recipient", "level"],
                condition=Q(village__isnull=False),
                name="reminder_village_dedupe_key",
            ),
            models.CheckConstraint(
                condition=Q(child__isnull=False, village__isnull=True)
                | Q(child__isnull=True, village__isnull=False),
                name="reminder_child_or_village",
            ),
        ]
        # Each index costs the sweep an insert per row: the dedupe key, the delivery's
        # (status, recipient), and the notification link only once it is set.
        indexes = [
            models.Index(fields=["status", "recipient"], name="reminder_status_idx"),
            models.Index(
                fields=["notification"],
                condition=Q(notification__isnull=False),
                name="reminder_notification_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_date} · {self.recipient_id}"


class Delivery(models.Model):
    """One outbound copy of a notification (email or SMS), retried with backoff."""

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    status = models.CharField(
        _("status"), max_length=8, choices=SendStatus.choices, default=SendStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="one_delivery_per_channel"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {mask_address(self.channel, self.address)}"


# A district's inspection reminder starts 1 to this many days before the quarter's last day.
INSPECTION_REMINDER_MAX_DAYS = 60


def _positive(upper: int) -> list[Any]:
    return [MinValueValidator(1), MaxValueValidator(upper)]


class ReminderRule(DistrictRule):
    """A district's override of the reminder defaults (notifications.rules.DEFAULTS)."""

    due_soon_days = models.PositiveSmallIntegerField(
        _("days before the due date for a due-soon reminder"), validators=_positive(90)
    )
    supervisor_after_days = models.PositiveSmallIntegerField(
        _("days overdue before the town supervisor is told"), validators=_positive(365)
    )
    district_after_days = models.PositiveSmallIntegerField(
        _("days overdue before district civil affairs is told"), validators=_positive(730)
    )
    digest_threshold = models.PositiveSmallIntegerField(
        _("more reminders than this become one digest"), validators=_positive(1000)
    )
    inspection_reminder_days = models.PositiveSmallIntegerField(
        _("days before the quarter ends to remind supervisors of villages not yet inspected"),
        validators=_positive(INSPECTION_REMINDER_MAX_DAYS),
        default=14,
    )

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_soon_days__gt=0)
                & Q(supervisor_after_days__gt=0)
                & Q(district_after_days__gt=0)
                & Q(digest_threshold__gt=0),
                name="reminder_rule_positive",
            ),
            models.CheckConstraint(
                condition=Q(inspection_reminder_days__gte=1)
                & Q(inspection_reminder_days__lte=INSPECTION_REMINDER_MAX_DAYS),
                name="reminder_rule_inspection_days_range",
            ),
        ]
