"""The daily reminder sweep: set-based.

For each rule group (the defaults, and each district whose ReminderRule changes the child
reminders), ONE INSERT … SELECT reads the active children due within the due-soon window once
per due field (next_contact_due, next_home_visit_due: index-only scans of the partial covering
indexes child_active_contact_due / child_active_visit_due) and joins each to the active
assignments whose region is the child's village (director: due soon or overdue), town
(supervisor: N days overdue) or district (civil affairs: M days overdue), hashed once.
The rows (child, kind, due date, recipient, level) are deduplicated on the reminder's unique
dedupe key: a sweep run twice, or two at once, creates nothing twice. No Python loop over
children.

On PostgreSQL the rows go in with a plain INSERT … WHERE NOT EXISTS (dedupe key), sweeps being
serialised by an advisory lock (SWEEP_LOCK), shared by child id between NOTIFICATIONS_SWEEP_
WORKERS connections (default 2) when called outside a transaction; elsewhere (SQLite, inside
a transaction) with ON CONFLICT DO NOTHING in one transaction. bench/bench_sweep.py measures
it against hand-written queries on 1,000,000 children.

Village inspections (R16): from INSPECTION_REMINDER_DAYS before a quarter's last day, one more
INSERT … SELECT reminds each town's supervisor of every village of the town not inspected this
quarter (village, kind, quarter's last day, recipient, level), deduplicated the same way
(ON CONFLICT DO NOTHING), in its own transaction.

`sweep(..., via_python=True)` selects with the same SQL but inserts through
`bulk_create(ignore_conflicts=True)` in batches (same dedupe, rows travel through Python);
the benchmark compares the two.

The active staff are read in SQL, not through Assignment.objects.active(), because they are
joined inside the same INSERT … SELECT as the children (one statement, no rows through
Python); the condition itself comes from org.models.active_assignment_sql, written next to
active().
"""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from children.choices import Status
from core import clock, faults
from core.calendar import quarter_bounds, quarter_of
from core.regions import Level as RegionLevel
from core.regions import district_prefix, prefix_range
from core.roles import Role
from notifications.models import EscalationLevel, NotificationKind, Reminder, SendStatus
from notifications.rules import DEFAULTS, INSPECTION_REMINDER_DAYS, Rule, district_rules
from org.models import active_assignment_sql

BATCH_SIZE = 5000

# The due-date fields and the kinds they raise (due soon, overdue).
DUE_FIELDS: dict[str, tuple[str, str]] = {
    "next_contact_due": (NotificationKind.CONTACT_DUE_SOON, NotificationKind.CONTACT_OVERDUE),
    "next_home_visit_due": (NotificationKind.VISIT_DUE_SOON, NotificationKind.VISIT_OVERDUE),
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


def _cutoffs(
    rule: Rule, today: datetime.date
) -> tuple[datetime.date, datetime.date, datetime.date]:
    """The latest due date that owes a reminder at each level (director, supervisor, district)."""
    return (
        today + datetime.timedelta(days=rule.due_soon_days),
        today - datetime.timedelta(days=rule.supervisor_after_days),
        today - datetime.timedelta(days=rule.district_after_days),
    )


def staff_sql(today: datetime.date) -> tuple[str, list[Any]]:
    """SELECT code, user_id, level: every active assignment of the three reminder roles, with
    its region's code and the escalation level the role answers for."""
    roles = [str(role) for role, _expr in LEVEL_REGION.values()]
    cases = " ".join(
        f"WHEN %s THEN {int(level)}" for level in LEVEL_REGION
    )  # levels are our own integers; the roles are parameters
    active, active_params = active_assignment_sql(today)
    sql = (
        f"SELECT r.code AS code, a.user_id AS user_id, CASE a.role {cases} END AS level "  # noqa: S608
        "FROM org_assignment a JOIN org_region r ON r.id = a.region_id "
        "JOIN org_user u ON u.id = a.user_id "
        f"WHERE a.role IN (%s, %s, %s) AND {active}"
    )
    return sql, [*roles, *roles, *active_params]


def selection_sql(
    rule: Rule,
    today: datetime.date,
    *,
    only: str | None = None,
    exclude: tuple[str, ...] = (),
    part: int = 0,
    parts: int = 1,
) -> tuple[str, list[Any]]:
    """SELECT child_id, kind, due_date, recipient_id, level: every child reminder owed today
    under `rule`, for the district `only` or every district but `exclude`, in ONE statement.

    `d` reads the children once per due field (an index range scan of the due date: only
    children due within the due-soon window); each of its rows is joined to the director
    of the child's village, and, when late enough, to the supervisor of its town and to
    district civil affairs (`s`, the active staff, a few hundred rows hashed once).
    `part`/`parts` keep the children whose id % parts == part (parallel sweeps)."""
    soon, supervisor_cut, district_cut = _cutoffs(rule, today)
    scope: list[str] = []
    scope_params: list[Any] = []
    if only is not None:
        scope.append("c.region_code BETWEEN %s AND %s")
        scope_params += list(prefix_range(district_prefix(only)))
    for code in exclude:
        scope.append("c.region_code NOT BETWEEN %s AND %s")
        scope_params += list(prefix_range(district_prefix(code)))
    if parts > 1:
        scope.append(f"c.id %% {int(parts)} = {int(part)}")
    due_rows = []
    params: list[Any] = []
    for field, (soon_kind, overdue_kind) in DUE_FIELDS.items():
        # Identifiers come from DUE_FIELDS; every value is a parameter.
        where = " AND ".join([f"c.{field} <= %s", "c.status = %s", *scope])
        due_rows.append(
            f"SELECT c.id AS id, c.region_code AS region_code, c.{field} AS due, "  # noqa: S608
            f"CASE WHEN c.{field} < %s THEN %s ELSE %s END AS kind, %s AS overdue "
            f"FROM children_child c WHERE {where}"
        )
        params += [today, str(overdue_kind), str(soon_kind), str(overdue_kind)]
        params += [soon, Status.ACTIVE, *scope_params]
    staff, staff_params = staff_sql(today)
    director, supervisor, district = (int(level) for level in LEVEL_REGION)
    sql = (
        f"WITH d AS ({' UNION ALL '.join(due_rows)}), s AS ({staff}) "  # noqa: S608
        f"SELECT d.id AS id, d.kind AS kind, d.due AS due, s.user_id AS user_id, "
        f"{director} AS level FROM d "
        f"JOIN s ON s.code = d.region_code AND s.level = {director} "
        "UNION ALL "
        f"SELECT d.id, d.overdue, d.due, s.user_id, {supervisor} FROM d "
        f"JOIN s ON s.code = SUBSTR(d.region_code, 1, 9) || '000' AND s.level = {supervisor} "
        "WHERE d.due <= %s "
        "UNION ALL "
        f"SELECT d.id, d.overdue, d.due, s.user_id, {district} FROM d "
        f"JOIN s ON s.code = SUBSTR(d.region_code, 1, 6) || '000000' AND s.level = {district} "
        "WHERE d.due <= %s"
    )
    return sql, [*params, *staff_params, supervisor_cut, district_cut]


def inspection_sql(today: datetime.date) -> tuple[str, list[Any]] | None:
    """SELECT village_id, kind, due_date, recipient_id, level: each village not yet inspected
    this quarter, for its town's active supervisors, from the district's
    inspection_reminder_days (its ReminderRule, else INSPECTION_REMINDER_DAYS) before the
    quarter's last day until that day (R16). One statement for every district: each village
    joins its district's rule row, if any. None when no district's window can be open."""
    from notifications.models import INSPECTION_REMINDER_MAX_DAYS

    _start, end = quarter_bounds(today)
    days_left = (end - today).days
    if days_left > max(INSPECTION_REMINDER_MAX_DAYS, INSPECTION_REMINDER_DAYS):
        return None
    active, active_params = active_assignment_sql(today)
    # The active condition is our own SQL; every value is a parameter.
    sql = (
        "SELECT v.id, %s, %s, a.user_id, %s "  # noqa: S608
        "FROM org_region v "
        "JOIN org_region t ON t.code = SUBSTR(v.code, 1, 9) || '000' "
        "JOIN org_assignment a ON a.region_id = t.id "
        "JOIN org_user u ON u.id = a.user_id "
        "LEFT JOIN (SELECT d.code, rr.inspection_reminder_days AS days "
        "FROM notifications_reminderrule rr JOIN org_region d ON d.id = rr.district_id) dr "
        "ON dr.code = SUBSTR(v.code, 1, 6) || '000000' "
        f"WHERE v.level = %s AND a.role = %s AND {active} "
        "AND COALESCE(dr.days, %s) >= %s "
        "AND NOT EXISTS (SELECT 1 FROM visits_inspection i "
        "WHERE i.village_id = v.id AND i.quarter = %s)"
    )
    params: list[Any] = [
        str(NotificationKind.INSPECTION_DUE),
        end,
        int(EscalationLevel.SUPERVISOR),
        str(RegionLevel.VILLAGE),
        str(Role.SUPERVISOR),
        *active_params,
        INSPECTION_REMINDER_DAYS,
        days_left,
        quarter_of(today),
    ]
    return sql, params


# The fields of a Rule that shape child reminders (the others: digests, inspections).
CHILD_RULE_FIELDS = ("due_soon_days", "supervisor_after_days", "district_after_days")


def _child_rule(rule: Rule) -> tuple[int, ...]:
    return tuple(getattr(rule, name) for name in CHILD_RULE_FIELDS)


def _groups(rules: dict[str, Rule]) -> list[tuple[Rule, str | None, tuple[str, ...]]]:
    """(rule, the one district it is for or None, the districts to leave out): each district
    whose child-reminder rule differs from the defaults, then the defaults for the rest."""
    groups: list[tuple[Rule, str | None, tuple[str, ...]]] = [
        (rule, code, ())
        for code, rule in sorted(rules.items())
        if _child_rule(rule) != _child_rule(DEFAULTS)
    ]
    overridden = tuple(code for rule, code, _ in groups if code is not None)
    groups.append((DEFAULTS, None, overridden))
    return groups


def statements(
    today: datetime.date, *, part: int = 0, parts: int = 1
) -> list[tuple[str, list[Any]]]:
    """Every child-reminder SELECT of one sweep (or of its part `part` of `parts`): one per
    rule group, each reading the children once for all levels and both due fields."""
    return [
        selection_sql(rule, today, only=only, exclude=exclude, part=part, parts=parts)
        for rule, only, exclude in _groups(district_rules())
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
# PostgreSQL: a plain INSERT of the rows whose dedupe key is not there yet (no speculative
# insertion per row, which ON CONFLICT costs), with sweeps serialised by an advisory lock so
# that a second sweep's NOT EXISTS sees every row of the first. A unique violation all the
# same (a row written outside the sweep) retries that share with ON CONFLICT DO NOTHING.
_INSERT_NEW = (
    f"INSERT INTO notifications_reminder (child_id, {_COLUMNS}) "  # noqa: S608
    "SELECT s.*, %s, 0, '', %s FROM ({select}) s WHERE NOT EXISTS (SELECT 1 "
    "FROM notifications_reminder r WHERE r.child_id = s.id AND r.kind = s.kind "
    "AND r.due_date = s.due AND r.recipient_id = s.user_id AND r.level = s.level) "
    "ORDER BY s.id"  # in the dedupe key's order: fewer index pages touched (and WAL written)
)
SWEEP_LOCK = 7_212_340_001  # pg_advisory_lock key: one sweep at a time
# PostgreSQL settings for the sweep's transactions (SET LOCAL: they end with it). The staff
# rows are few and freshly changed (their statistics may be stale): a nested loop would then
# rescan them, or the children, per row; a hash join reads each once. A larger work_mem keeps
# the hash of the selected children in memory. Losing the last commit in a crash is harmless:
# the next sweep recreates the same rows (same dedupe keys).
_PG_SETTINGS = (
    "SET LOCAL enable_nestloop = off",
    "SET LOCAL work_mem = '64MB'",
    "SET LOCAL synchronous_commit = off",
)


def workers() -> int:
    """Connections the sweep may use at once on PostgreSQL (NOTIFICATIONS_SWEEP_WORKERS,
    default 2: each inserts the reminders of its share of the children)."""
    return settings.NOTIFICATIONS_SWEEP_WORKERS


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _insert_children(
    today: datetime.date,
    now: datetime.datetime,
    part: int = 0,
    parts: int = 1,
    *,
    locked: bool = False,
) -> int:
    """Insert the child reminders of share `part` of `parts` in one transaction. On
    PostgreSQL the caller holds SWEEP_LOCK (`locked`) or this transaction takes it."""
    created = 0
    postgres = _postgres()
    template = _INSERT_NEW if postgres else _INSERT
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                if not locked:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK])
                for statement in _PG_SETTINGS:
                    cursor.execute(statement)
            for sql, params in statements(today, part=part, parts=parts):
                cursor.execute(template.format(select=sql), [SendStatus.PENDING, now, *params])
                created += max(cursor.rowcount, 0)
            faults.pause_point("sweep.inserted")  # before the commit
    except IntegrityError:
        if not postgres:
            raise
        created = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements(today, part=part, parts=parts):
                cursor.execute(_INSERT.format(select=sql), [SendStatus.PENDING, now, *params])
                created += max(cursor.rowcount, 0)
    return created


def _insert_part(today: datetime.date, now: datetime.datetime, part: int, parts: int) -> int:
    """One worker thread's share, on the thread's own connection (closed at the end)."""
    try:
        return _insert_children(today, now, part, parts, locked=True)
    finally:
        connection.close()


def sweep(
    today: datetime.date | None = None,
    *,
    via_python: bool = False,
    parallel: int | None = None,
) -> SweepResult:
    """Create every reminder owed today; returns how many rows were created.

    On PostgreSQL, outside a transaction, the children are shared between `parallel`
    connections (default `workers()`), each inserting its share in its own transaction,
    while this connection holds the sweep's advisory lock; a share that fails is created by
    the next sweep (same dedupe keys). Inside a transaction (tests), on SQLite, or with
    parallel=1, every statement runs in one transaction on the caller's connection."""
    today = today or clock.today()
    now = clock.now()
    result = SweepResult()
    parts = workers() if parallel is None else max(parallel, 1)
    if via_python:
        with transaction.atomic():
            if _postgres():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK])
            for sql, params in statements(today):
                result.created += _insert_through_python(sql, params, now, result)
    elif parts > 1 and _postgres() and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SWEEP_LOCK])
        try:
            with ThreadPoolExecutor(max_workers=parts) as pool:
                shares = [
                    pool.submit(_insert_part, today, now, part, parts) for part in range(parts)
                ]
                result.created += sum(share.result() for share in shares)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SWEEP_LOCK])
    else:
        result.created += _insert_children(today, now)
    inspections = inspection_sql(today)
    if inspections is not None:
        sql, params = inspections
        with transaction.atomic(), connection.cursor() as cursor:
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
