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
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import clock, faults, metrics
from core.regions import district_code
from core.text import mask_address, mask_contacts
from notifications import channels, delivery_sql
from notifications.models import (
    Channel,
    Delivery,
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
from notifications.texts import due_text, inspection_texts, late_text
from notifications.texts import titles as _titles
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


def _reminder_text(
    reminder: Reminder, today: datetime.date | None = None, titles: dict[str, str] | None = None
) -> tuple[str, str]:
    """A reminder's title and body, from the templates above (which delivery_sql fills in
    SQL: one set of texts for both paths)."""
    today = today or clock.today()
    if reminder.village is not None:
        values = {"village": reminder.village.name, "date": reminder.due_date}
        title, body = inspection_texts()
        return title % values, body % values
    child = reminder.child
    if child is None:  # pragma: no cover - the check constraint: a child or a village
        raise ValueError(reminder.pk)
    village = child.village.name
    days = (today - reminder.due_date).days
    title = (titles or _titles())[reminder.kind] % {"child": child.name}
    body = late_text(days) if days > 0 else due_text()
    body = body % {"child": child.name, "village": village, "date": reminder.due_date, "days": days}
    return title, body


class _Links:
    """Notification links, reversed once per delivery run rather than once per reminder."""

    def __init__(self) -> None:
        self.inbox = reverse("notifications:inbox")
        self.inspections = reverse("visits:inspections")
        marker = 987654321
        head, tail = reverse("children:detail", args=[marker]).split(str(marker))
        self.child_parts = (head, tail)

    def child(self, pk: int) -> str:
        return f"{self.child_parts[0]}{pk}{self.child_parts[1]}"


def _notifications_for(
    user: User,
    reminders: list[Reminder],
    threshold: int,
    today: datetime.date | None = None,
    links: _Links | None = None,
    titles: dict[str, str] | None = None,
) -> list[Notification]:
    today = today or clock.today()
    links = links or _Links()
    titles = titles or _titles()
    if len(reminders) > threshold:
        lines = [_reminder_text(r, today, titles)[0] for r in reminders[:DIGEST_LINES]]
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
                link=links.inbox,
            )
        ]
    result = []
    for reminder in reminders:
        title, body = _reminder_text(reminder, today, titles)
        child_id = reminder.child_id
        link = links.inspections if child_id is None else links.child(child_id)
        result.append(
            Notification(
                recipient=user,
                kind=reminder.kind,
                title=title,
                body=body,
                link=link,
                child_id=reminder.child_id,
            )
        )
    return result


ALL_CHANNELS: tuple[str, ...] = (Channel.EMAIL, Channel.SMS)


def deliveries_for(
    notification: Notification,
    *,
    email: str,
    phone: str,
    channels: Sequence[str] = ALL_CHANNELS,
) -> list[Delivery]:
    """The email and SMS copies of `notification` on `channels`, to the addresses given."""
    addresses: dict[str, str] = {Channel.EMAIL: email, Channel.SMS: phone}
    return [
        Delivery(notification=notification, channel=channel, address=addresses[channel])
        for channel in ALL_CHANNELS
        if channel in channels and addresses[channel]
    ]


# A batch of one delivery run: each person with their claimed reminders and digest threshold.
Batch = list[tuple[User, list[Reminder], int]]


def _chunks(counts: list[tuple[int, int]], size: int) -> Iterator[list[int]]:
    """Recipients in groups whose claimable reminders add up to at most `size` (a person with
    more is a group alone), so a group is claimed whole and each digest covers a person."""
    chunk: list[int] = []
    total = 0
    for recipient_id, count in counts:
        if chunk and total + count > size:
            yield chunk
            chunk, total = [], 0
        chunk.append(recipient_id)
        total += count
    if chunk:
        yield chunk


def deliver_in_app(
    now: datetime.datetime | None = None, *, threshold: int | None = None, batch: int = 5000
) -> DeliveryResult:
    """Turn every claimable reminder into in-app notifications.

    Recipients are taken many at a time (up to `batch` reminders in all): one conditional
    UPDATE claims all their claimable reminders. On PostgreSQL one statement then writes the
    notifications of everyone below their digest threshold (one per reminder), their email/SMS
    copies, and marks those reminders sent (delivery_sql). The rest (every reminder on
    SQLite; the people who get one digest on PostgreSQL) is written by one transaction
    (bulk_create). If a batch's write fails, it is retried person by person, so one person's
    failure holds nobody else back."""
    now = now or clock.now()
    result = DeliveryResult()
    rules = district_rules() if threshold is None else {}
    counts = list(
        Reminder.objects.filter(_claimable(now))
        .order_by("recipient_id")
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )
    users = User.objects.in_bulk([recipient_id for recipient_id, _n in counts])
    for chunk in _chunks(counts, batch):
        while token := claim(Reminder.objects.filter(recipient_id__in=chunk), now, batch):
            faults.pause_point("reminders.claimed")
            if connection.vendor == "postgresql":
                written = _write_singles(token, threshold, rules, now)
                result.notifications += written
                result.reminders += written
            # Python: everything on SQLite; the digests (and a failed statement's batch) on
            # PostgreSQL, what is still claimed with the token.
            reminders = list(
                Reminder.objects.filter(claim_token=token, status=SendStatus.CLAIMED)
                .select_related("child__village", "village")
                .only(*_REMINDER_FIELDS)
                .order_by("recipient_id", "due_date", "pk")
            )
            groups: Batch = []
            for recipient_id, rows in groupby(reminders, key=lambda r: r.recipient_id):
                mine = list(rows)
                limit = _threshold(threshold, rules, _district_of(mine))
                groups.append((users[recipient_id], mine, limit))
            try:
                written, covered = _write(groups, now, token)
                result.notifications += written
                result.reminders += covered
            except Exception:
                logger.exception("Reminder delivery of a batch failed; retrying person by person")
                for user, mine, limit in groups:
                    try:
                        written, covered = _write([(user, mine, limit)], now, token)
                        result.notifications += written
                        result.reminders += covered
                    except Exception as exc:
                        logger.exception("Reminder delivery to user %s failed", user.pk)
                        failed = _record_failure(Reminder, [r.pk for r in mine], exc, now)
                        result.failed += failed
                        metrics.delivered("in_app", retry=len(mine) - failed, failed=failed)
    metrics.delivered("in_app", sent=result.notifications)
    return result


def _write_singles(
    token: uuid.UUID, threshold: int | None, rules: dict[str, Any], now: datetime.datetime
) -> int:
    """PostgreSQL: the batch's reminders of people below their digest threshold, written in
    one statement (delivery_sql). On a database error nothing of it is kept and the Python
    path writes the batch person by person. Returns the notifications written."""
    claimed = (
        Reminder.objects.filter(claim_token=token, status=SendStatus.CLAIMED)
        .values("recipient_id")
        .annotate(n=Count("pk"), code=Min(Coalesce("child__region_code", "village__code")))
        .values_list("recipient_id", "n", "code")
    )
    digest = [
        recipient_id
        for recipient_id, n, code in claimed
        if n > _threshold(threshold, rules, district_code(code))
    ]
    links = _Links()
    try:
        with transaction.atomic():
            return delivery_sql.write_singles(
                token, digest, now, _titles(), links.child_parts, links.inspections
            )
    except DatabaseError:
        logger.exception("Set-based reminder delivery failed; writing the batch in Python")
        return 0


def _threshold(threshold: int | None, rules: dict[str, Any], district: str) -> int:
    """The digest threshold: the one given, else the district rule's."""
    if threshold is not None:
        return threshold
    return int(rules.get(district, DEFAULTS).digest_threshold)


_REMINDER_FIELDS = (
    "id",
    "recipient_id",
    "kind",
    "due_date",
    "child_id",
    "village_id",
    "child__name",
    "child__region_code",
    "child__village__name",
    "village__name",
    "village__code",
)


def _district_of(reminders: list[Reminder]) -> str:
    """The district whose rule sets a person's digest threshold: that of the lowest region
    code among the reminders' children (or villages), as the set-based path reads it."""
    codes = [r.child.region_code if r.child is not None else r.village.code for r in reminders]  # type: ignore[union-attr]
    return district_code(min(codes))


def _write(groups: Batch, now: datetime.datetime, token: uuid.UUID) -> tuple[int, int]:
    """Write one batch's notifications and deliveries and mark its reminders sent, in one
    transaction, for the reminders still claimed with `token` (locked first: a claim whose
    lease ran out may have been taken by another worker, which then writes them).
    Returns how many notifications were written and how many reminders they cover."""
    today = timezone.localdate(now)
    links, titles = _Links(), _titles()
    with transaction.atomic():
        held = set(
            Reminder.objects.select_for_update()
            .filter(
                pk__in=[r.pk for _user, reminders, _t in groups for r in reminders],
                claim_token=token,
                status=SendStatus.CLAIMED,
            )
            .values_list("pk", flat=True)
        )
        notifications: list[Notification] = []
        owners: list[list[Reminder]] = []  # the reminders each notification covers
        deliveries_by_user: list[tuple[User, list[Notification]]] = []
        for user, claimed, threshold in groups:
            reminders = [r for r in claimed if r.pk in held]
            if not reminders:
                continue
            mine = _notifications_for(user, reminders, threshold, today, links, titles)
            notifications += mine
            owners += (
                [reminders] if len(mine) == 1 and len(reminders) > 1 else [[r] for r in reminders]
            )
            deliveries_by_user.append((user, mine))
        Notification.objects.bulk_create(notifications, batch_size=2000)
        Delivery.objects.bulk_create(
            [
                d
                for user, mine in deliveries_by_user
                for notification in mine
                for d in deliveries_for(notification, email=user.email, phone=user.phone)
            ],
            batch_size=2000,
        )
        pairs = [
            (reminder.pk, notification.pk)
            for notification, covered in zip(notifications, owners, strict=True)
            for reminder in covered
        ]
        _mark_sent(pairs, now)
    return len(notifications), len(held)


def _mark_sent(pairs: list[tuple[int, int]], now: datetime.datetime) -> None:
    """Set each (reminder, notification) pair's reminder sent: one UPDATE … FROM unnest on
    PostgreSQL, bulk_update elsewhere."""
    if not pairs:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE notifications_reminder r SET status = %s, sent_at = %s, "
                "notification_id = v.nid, claim_token = NULL "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(rid, nid) WHERE r.id = v.rid",
                [SendStatus.SENT, now, [p[0] for p in pairs], [p[1] for p in pairs]],
            )
        return
    rows = [
        Reminder(pk=rid, status=SendStatus.SENT, sent_at=now, notification_id=nid, claim_token=None)
        for rid, nid in pairs
    ]
    Reminder.objects.bulk_update(
        rows, ["status", "sent_at", "notification", "claim_token"], batch_size=500
    )


def _record_failure(model: Any, ids: list[int], exc: Exception, now: datetime.datetime) -> int:
    """attempts + 1; back to pending after a backoff, or failed after MAX_ATTEMPTS. Returns
    how many became failed."""
    failed = 0
    # A gateway's message may name the address: kept masked, as the logs (core.text).
    error = mask_contacts(f"{type(exc).__name__}: {exc}")[:2000]
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for pk, attempts in model.objects.filter(pk__in=ids).values_list("pk", "attempts"):
        by_attempts[attempts + 1].append(pk)
    for attempts, pks in by_attempts.items():
        if attempts >= MAX_ATTEMPTS:
            status, next_at = SendStatus.FAILED, None
            failed += len(pks)
        else:
            status, next_at = SendStatus.PENDING, now + backoff(attempts)
        model.objects.filter(pk__in=pks).update(
            attempts=attempts,
            status=status,
            next_attempt_at=next_at,
            last_error=error,
            claim_token=None,
        )
    return failed


# --- Email and SMS: deliveries ----------------------------------------------------------------


def deliver_external(now: datetime.datetime | None = None, *, batch: int = 500) -> DeliveryResult:
    """Send every claimable email and SMS copy; failures retry with backoff.

    Just before each send the row's claim is renewed, conditionally on still holding it: a
    row whose lease ran out and was claimed by another worker (or already sent by it) is
    left to that worker, so a row marked sent is never sent again. The provider is called at
    least once per copy, not exactly once: a worker killed between the provider's answer and
    the row's UPDATE leaves it claimed, and it is sent again after the lease (README,
    "Faults")."""
    now = now or clock.now()
    result = DeliveryResult()
    while token := claim(Delivery.objects.all(), now, batch):
        for delivery in Delivery.objects.filter(
            claim_token=token, status=SendStatus.CLAIMED
        ).select_related("notification"):
            held = Delivery.objects.filter(
                pk=delivery.pk, claim_token=token, status=SendStatus.CLAIMED
            ).update(claimed_at=clock.now())
            if not held:
                continue
            try:
                channels.SENDERS[delivery.channel](delivery.notification, delivery.address)
            except Exception as exc:
                logger.warning(
                    "%s to %s failed: %s",
                    delivery.channel,
                    mask_address(delivery.channel, delivery.address),
                    mask_contacts(str(exc)),
                )
                failed = _record_failure(Delivery, [delivery.pk], exc, now)
                result.failed += failed
                metrics.delivered(delivery.channel, retry=1 - failed, failed=failed)
            else:
                Delivery.objects.filter(pk=delivery.pk, claim_token=token).update(
                    status=SendStatus.SENT, sent_at=clock.now(), claim_token=None
                )
                result.notifications += 1
                metrics.delivered(delivery.channel, sent=1)
                faults.pause_point("deliveries.sent")
    return result
