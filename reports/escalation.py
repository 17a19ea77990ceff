"""Escalation of overdue steps (R18): the hourly sweep alerts the town supervisor once a
case's next expected step is past its deadline, then district civil affairs and the
protection centre once the district's further delay has passed. Set-based and idempotent."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone

from core import clock
from core.queueing import delay_on_commit
from core.regions import (
    PREFIX_LENGTH,
    Level,
    district_code,
    district_prefix,
    prefix_code,
    town_code,
    town_prefix,
)
from core.roles import Role
from notifications.models import Channel, EscalationLevel, NotificationKind
from notifications.services import Message, notify_each
from notifications.tasks import send_deliveries
from reports import escalation_sql
from reports.models import MandatoryReport, ReportEscalation, Stage
from reports.selectors import alert_staff
from reports.workflow import deadline_rules


def report_escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Alert about every open report whose next expected step is past its deadline: the town
    supervisor at once, then district civil affairs and the protection centre once the
    further delay has passed. Set-based (a fixed number of queries however many cases: on
    PostgreSQL four, the work in one statement, reports.escalation_sql) and idempotent: the
    (report, deadline, recipient, level) key is inserted once, and only rows
    inserted without a notification yet get one. Returns the notifications created."""
    now = now or clock.now()
    if connection.vendor == "postgresql":
        return _escalate_in_one_statement(now)
    return _escalate_in_python(now)


def _escalate_in_python(now: datetime.datetime) -> int:
    """The same with the ORM (SQLite): a fixed number of queries, rows built in Python."""
    overdue = list(
        MandatoryReport.objects.exclude(stage=Stage.CLOSED)
        .filter(next_due_at__lt=now)
        .values_list("pk", "region_code", "next_due_at")
    )
    if not overdue:
        return 0
    towns = {town_code(code) for _pk, code, _due in overdue}
    districts = {district_code(code) for _pk, code, _due in overdue}
    people: dict[tuple[str, str], set[int]] = {}
    for role, code, user_id in alert_staff(towns=towns, districts=districts).values_list(
        "role", "region__code", "user_id"
    ):
        people.setdefault((role, code), set()).add(user_id)
    later = {code: now - rule.escalation_delay for code, rule in deadline_rules(districts).items()}
    rows = []
    for pk, code, due in overdue:
        if due is None:  # pragma: no cover - filtered by next_due_at__lt
            continue
        recipients = {
            (uid, EscalationLevel.SUPERVISOR)
            for uid in people.get((Role.SUPERVISOR, town_code(code)), ())
        }
        district = district_code(code)
        if due < later[district]:
            for role in (Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE):
                recipients |= {
                    (uid, EscalationLevel.DISTRICT) for uid in people.get((role, district), ())
                }
        rows += [
            ReportEscalation(report_id=pk, deadline=due, recipient_id=uid, level=level)
            for uid, level in recipients
        ]
    with transaction.atomic():
        ReportEscalation.objects.bulk_create(rows, ignore_conflicts=True)
        pending: list[Any] = list(
            ReportEscalation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notification__isnull=True, report_id__in=[pk for pk, _c, _d in overdue])
            .values_list(
                "pk",
                "recipient_id",
                "recipient__phone",
                "deadline",
                "report_id",
                "report__next_step",
                "report__stage",
                "report__child_id",
                "report__child__name",
                "report__child_description",
                "report__village__name",
            )
        )
        link = reverse("reports:detail", args=[0]).replace("/0/", "/{}/")
        messages = []
        for _pk, recipient_id, phone, deadline, report_id, *case in pending:
            next_step, stage, child_id, child_name, description, village = case
            title = escalation_sql.overdue_title() % {
                "step": next_step or str(Stage(stage).label),
                "child": child_name or _description_label(description),
                "village": village,
            }
            messages.append(
                Message(
                    recipient_id=recipient_id,
                    title=title,
                    body=escalation_sql.overdue_body()
                    % {"due": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}"},
                    link=link.format(report_id),
                    child_id=child_id,
                    phone=phone or "",
                )
            )
        # Only the escalations inserted now get a notification (and its SMS copy, sent on
        # commit), so a second run of the sweep sends nothing again.
        notes = notify_each(
            kind=NotificationKind.REPORT_OVERDUE, messages=messages, channels=(Channel.SMS,)
        )
        _attach_notifications([(row[0], note.pk) for row, note in zip(pending, notes, strict=True)])
    return len(notes)


def _escalate_in_one_statement(now: datetime.datetime) -> int:
    """PostgreSQL: the towns of the overdue cases (one query returning a row per town), the
    districts' rules and the staff (two small queries), then reports.escalation_sql's one
    statement; the SMS copies are sent when the transaction commits."""
    towns = set(
        MandatoryReport.objects.exclude(stage=Stage.CLOSED)
        .filter(next_due_at__lt=now)
        .annotate(town=Substr("region_code", 1, PREFIX_LENGTH[Level.TOWN]))
        .values_list("town", flat=True)
        .distinct()
        .order_by()
    )
    if not towns:
        return 0
    districts = {district_code(prefix_code(t)) for t in towns}
    later = {
        district_prefix(code): now - rule.escalation_delay
        for code, rule in deadline_rules(districts).items()
    }
    staff: set[tuple[str, int, int]] = set()
    for role, code, user_id in alert_staff(
        towns=[prefix_code(t) for t in towns], districts=districts
    ).values_list("role", "region__code", "user_id"):
        if role == Role.SUPERVISOR:
            staff.add((town_prefix(code), user_id, EscalationLevel.SUPERVISOR))
        else:
            staff.add((district_prefix(code), user_id, EscalationLevel.DISTRICT))
    with transaction.atomic():
        notes, copies = escalation_sql.escalate(now=now, later=later, staff=sorted(staff))
        if copies:
            delay_on_commit(send_deliveries)
    return notes


def _description_label(description: str) -> str:
    """How a report about an unregistered child names the child (MandatoryReport.child_label)."""
    return (description or "").splitlines()[0][:40] if description else "—"


def _attach_notifications(pairs: list[tuple[int, int]], batch: int = 400) -> None:
    """Set ReportEscalation.notification_id for (escalation id, notification id) pairs: one
    UPDATE … FROM (VALUES …) per batch (PostgreSQL, SQLite 3.33+), instead of a CASE per row."""
    table = connection.ops.quote_name(ReportEscalation._meta.db_table)
    for start in range(0, len(pairs), batch):
        chunk = pairs[start : start + batch]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params = [value for pair in chunk for value in pair]
        if connection.vendor == "postgresql":
            sql = (
                f"UPDATE {table} AS e SET notification_id = v.nid "  # noqa: S608
                f"FROM (VALUES {values}) AS v(id, nid) WHERE e.id = v.id"
            )
        else:
            sql = (
                f"UPDATE {table} SET notification_id = v.column2 "  # noqa: S608
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
