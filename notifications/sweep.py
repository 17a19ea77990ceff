"""The daily reminder sweep: set-based.

For each rule group (the defaults, and each district with its own ReminderRule), escalation
level and stored due date (next_contact_due, next_home_visit_due), one INSERT … SELECT joins
the active children whose due date falls in the level's window to the active assignments of
the level's role whose region is the child's village (director), town (supervisor) or
district (civil affairs). The rows (child, kind, due date, recipient, level) go in
with ON CONFLICT DO NOTHING on the reminder's unique dedupe key: a sweep run twice, or two at
once, creates nothing twice. No Python loop over children.

Village inspections (R16): from INSPECTION_REMINDER_DAYS before a quarter's last day, one more
INSERT … SELECT reminds each town's supervisor of every village of the town not inspected this
quarter (village, kind, quarter's last day, recipient, level), deduplicated the same way.
All statements of a sweep run in one transaction.

`sweep(..., via_python=True)` selects with the same SQL but inserts through
`bulk_create(ignore_conflicts=True)` in batches (same dedupe, rows travel through Python);
the benchmark compares the two.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from children.choices import Status
from notifications.models import EscalationLevel, Kind, Reminder, SendStatus
from notifications.rules import DEFAULTS, INSPECTION_REMINDER_DAYS, Rule, district_rules
from org.models import Role, StaffStatus
from org.regions import Level as RegionLevel
from org.regions import prefix_range

BATCH_SIZE = 5000

# The due-date fields and the kinds they raise (due soon, overdue).
DUE_FIELDS: dict[str, tuple[str, str]] = {
    "next_contact_due": (Kind.CONTACT_DUE_SOON, Kind.CONTACT_OVERDUE),
    "next_home_visit_due": (Kind.VISIT_DUE_SOON, Kind.VISIT_OVERDUE),
}
# The assignment region that covers a child's village, as an SQL expression per level.
LEVEL_REGION: dict[int, tuple[str, str]] = {
    EscalationLevel.DIRECTOR: (Role.CHILD_DIRECTOR, "c.region_code"),
    EscalationLevel.SUPERVISOR: (Role.SUPERVISOR, "SUBSTR(c.region_code, 1, 9) || '000'"),
    EscalationLevel.DISTRICT: (Role.CIVIL_AFFAIRS, "SUBSTR(c.region_code, 1, 6) || '000000'"),
}


@dataclass
class SweepResult:
    candidates: int = 0  # rows selected (before the dedupe key drops those already there)
    created: int = 0  # rows inserted now


def _window(level: int, rule: Rule, today: datetime.date) -> tuple[str, list[Any]]:
    """The due-date condition of a level (column `due`), with its parameters."""
    if level == EscalationLevel.DIRECTOR:
        return "c.{due} <= %s", [today + datetime.timedelta(days=rule.due_soon_days)]
    days = (
        rule.supervisor_after_days
        if level == EscalationLevel.SUPERVISOR
        else rule.district_after_days
    )
    return "c.{due} <= %s", [today - datetime.timedelta(days=days)]


def selection_sql(
    level: int,
    due_field: str,
    rule: Rule,
    today: datetime.date,
    *,
    only: str | None = None,
    exclude: tuple[str, ...] = (),
) -> tuple[str, list[Any]]:
    """SELECT child_id, kind, due_date, recipient_id, level for one level and due field,
    limited to the district `only` or to every district but `exclude`."""
    if due_field not in DUE_FIELDS:
        raise ValueError(due_field)
    soon_kind, overdue_kind = DUE_FIELDS[due_field]
    role, region_expr = LEVEL_REGION[level]
    window, params = _window(level, rule, today)
    if level == EscalationLevel.DIRECTOR:
        kind_sql = "CASE WHEN c.{due} < %s THEN %s ELSE %s END"
        kind_params: list[Any] = [today, str(overdue_kind), str(soon_kind)]
    else:
        kind_sql = "%s"
        kind_params = [str(overdue_kind)]
    where = [
        "c.status = %s",
        window,
        "a.role = %s",
        "a.start_date <= %s",
        "(a.end_date IS NULL OR a.end_date > %s)",
        "u.is_active = %s",
        "u.status = %s",
    ]
    where_params: list[Any] = [Status.ACTIVE, *params, str(role), today, today, True]
    where_params.append(str(StaffStatus.ACTIVE))
    if only is not None:
        where.append("c.region_code BETWEEN %s AND %s")
        where_params += list(prefix_range(only[:6]))
    for code in exclude:
        where.append("c.region_code NOT BETWEEN %s AND %s")
        where_params += list(prefix_range(code[:6]))
    # Identifiers come from the fixed tables above; every value is a parameter.
    sql = (
        f"SELECT c.id, {kind_sql}, c.{{due}}, a.user_id, %s "  # noqa: S608
        "FROM children_child c "
        f"JOIN org_region r ON r.code = {region_expr} "
        "JOIN org_assignment a ON a.region_id = r.id "
        "JOIN org_user u ON u.id = a.user_id "
        f"WHERE {' AND '.join(where)}"
    ).replace("{due}", due_field)
    return sql, [*kind_params, int(level), *where_params]


def inspection_sql(today: datetime.date) -> tuple[str, list[Any]] | None:
    """SELECT village_id, kind, due_date, recipient_id, level: each village not yet inspected
    this quarter, for its town's active supervisors, from INSPECTION_REMINDER_DAYS before the
    quarter's last day until that day (R16). None outside that window."""
    from visits.services import quarter_bounds, quarter_of

    _start, end = quarter_bounds(today)
    if not end - datetime.timedelta(days=INSPECTION_REMINDER_DAYS) <= today <= end:
        return None
    sql = (
        "SELECT v.id, %s, %s, a.user_id, %s "
        "FROM org_region v "
        "JOIN org_region t ON t.code = SUBSTR(v.code, 1, 9) || '000' "
        "JOIN org_assignment a ON a.region_id = t.id "
        "JOIN org_user u ON u.id = a.user_id "
        "WHERE v.level = %s AND a.role = %s AND a.start_date <= %s "
        "AND (a.end_date IS NULL OR a.end_date > %s) AND u.is_active = %s AND u.status = %s "
        "AND NOT EXISTS (SELECT 1 FROM visits_inspection i "
        "WHERE i.village_id = v.id AND i.quarter = %s)"
    )
    params: list[Any] = [
        str(Kind.INSPECTION_DUE),
        end,
        int(EscalationLevel.SUPERVISOR),
        str(RegionLevel.VILLAGE),
        str(Role.SUPERVISOR),
        today,
        today,
        True,
        str(StaffStatus.ACTIVE),
        quarter_of(today),
    ]
    return sql, params


def _groups(rules: dict[str, Rule]) -> list[tuple[Rule, str | None, tuple[str, ...]]]:
    groups: list[tuple[Rule, str | None, tuple[str, ...]]] = [
        (rule, code, ()) for code, rule in sorted(rules.items()) if rule != DEFAULTS
    ]
    overridden = tuple(code for rule, code, _ in groups if code is not None)
    groups.append((DEFAULTS, None, overridden))
    return groups


def statements(today: datetime.date) -> list[tuple[str, list[Any]]]:
    """Every child-reminder SELECT of one sweep: per rule group, level and due field.

    (One statement for all six (level, field) pairs, a join against a derived table of the
    pairs, was measured and rejected: PostgreSQL misestimates the CASE join keys and picked
    a 28-million-row nested loop; these separate statements each get a plain hash join.)"""
    return [
        selection_sql(level, field, rule, today, only=only, exclude=exclude)
        for rule, only, exclude in _groups(district_rules())
        for level in LEVEL_REGION
        for field in DUE_FIELDS
    ]


_COLUMNS = "kind, due_date, recipient_id, level, status, attempts, last_error, created_at"
# ON CONFLICT without a target: either dedupe key (child or village reminders) drops the row.
_INSERT = (
    f"INSERT INTO notifications_reminder (child_id, {_COLUMNS}) "  # noqa: S608
    "SELECT s.*, %s, 0, '', %s FROM ({select}) s WHERE TRUE ON CONFLICT DO NOTHING"
)
_INSERT_VILLAGE = (
    f"INSERT INTO notifications_reminder (village_id, {_COLUMNS}) "  # noqa: S608
    "SELECT s.*, %s, 0, '', %s FROM ({select}) s WHERE TRUE ON CONFLICT DO NOTHING"
)


def sweep(today: datetime.date | None = None, *, via_python: bool = False) -> SweepResult:
    """Create every reminder owed today; returns how many rows were created."""
    today = today or timezone.localdate()
    now = timezone.now()
    result = SweepResult()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements(today):
            if via_python:
                result.created += _insert_through_python(sql, params, now, result)
                continue
            cursor.execute(_INSERT.format(select=sql), [SendStatus.PENDING, now, *params])
            result.created += max(cursor.rowcount, 0)
        inspections = inspection_sql(today)
        if inspections is not None:
            sql, params = inspections
            cursor.execute(_INSERT_VILLAGE.format(select=sql), [SendStatus.PENDING, now, *params])
            result.created += max(cursor.rowcount, 0)
    if not via_python:
        result.candidates = result.created
    return result


def _insert_through_python(
    sql: str, params: list[Any], now: datetime.datetime, result: SweepResult
) -> int:
    before = Reminder.objects.count()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH_SIZE):
            result.candidates += len(rows)
            Reminder.objects.bulk_create(
                [
                    Reminder(
                        child_id=child_id,
                        kind=kind,
                        due_date=due,
                        recipient_id=user_id,
                        level=level,
                        created_at=now,
                    )
                    for child_id, kind, due, user_id, level in rows
                ],
                ignore_conflicts=True,
            )
    return Reminder.objects.count() - before
