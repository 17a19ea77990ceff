"""Escalation of overdue steps in one statement (PostgreSQL; reports.escalation keeps the
Python path for SQLite).

One data-modifying statement, whatever the number of cases:
- `due`: the open reports whose next expected step is past its deadline, with the moment
  (`later`) before which the deadline must lie to reach the district (the district's delay);
- `recips`: each with its town's supervisors (level 1) and, once `later` has passed, the
  district's civil affairs and protection centre (level 2), from the staff given as arrays;
  one notification id drawn for each;
- `fresh`: the (report, deadline, recipient, level) keys inserted now (ON CONFLICT DO
  NOTHING: a key escalates once, however often the sweep runs), with their notification;
- `stale`: keys of these reports inserted earlier without a notification (a run that
  failed after inserting), given one now (locked, skipping rows another run holds);
- the notifications of `fresh` and `stale`, with the texts of the Python path filled in by
  SQL `replace` (the child's label last, since a report's description is free text), and
  their SMS copies to those who have a phone number.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.models import Channel, EscalationLevel, NotificationKind, SendStatus
from reports.models import Stage


def overdue_title() -> str:
    """The alert's title template (both paths: reports.escalation formats it in Python)."""
    return _("Overdue: %(step)s for %(child)s (%(village)s)")


def overdue_body() -> str:
    """The alert's body template: the deadline, local time."""
    return _("Due %(due)s.")


STEP, CHILD, VILLAGE, DUE = "%%(step)s", "%%(child)s", "%%(village)s", "%%(due)s"
STAGE_LABELS = (
    "CASE r.stage "
    + " ".join(f"WHEN '{value}' THEN %(stage_{value})s" for value in Stage.values)
    + " ELSE r.stage END"
)
# MandatoryReport.child_label: the child's name, else the description's first line (40
# characters), else "—".
CHILD_LABEL = (
    "COALESCE(c.name, CASE WHEN r.child_description = '' THEN '—' ELSE left(split_part("
    "replace(replace(r.child_description, E'\\r\\n', E'\\n'), E'\\r', E'\\n'), E'\\n', 1), 40) END)"
)

STATEMENT = f"""
WITH later AS (
    SELECT * FROM unnest(%(districts)s::text[], %(later)s::timestamptz[]) AS l(prefix, at)
),
staff AS (
    SELECT * FROM unnest(%(prefixes)s::text[], %(users)s::bigint[], %(levels)s::int[])
        AS s(prefix, uid, level)
),
due AS (
    SELECT r.id, r.next_due_at, r.region_code, l.at AS later
    FROM reports_mandatoryreport r
    JOIN later l ON l.prefix = substr(r.region_code, 1, 6)
    WHERE r.stage <> %(closed)s AND r.next_due_at < %(now)s
),
recips AS (
    SELECT due.id AS report_id, due.next_due_at AS deadline, s.uid, s.level,
           nextval(pg_get_serial_sequence('notifications_notification', 'id')) AS nid
    FROM due JOIN staff s ON (
        (s.level = {EscalationLevel.SUPERVISOR} AND s.prefix = substr(due.region_code, 1, 9))
        OR (s.level = {EscalationLevel.DISTRICT} AND s.prefix = substr(due.region_code, 1, 6)
            AND due.next_due_at < due.later)
    )
),
fresh AS (
    INSERT INTO reports_reportescalation
        (report_id, deadline, recipient_id, level, notification_id, created_at)
    SELECT report_id, deadline, uid, level, nid, %(now)s FROM recips
    ON CONFLICT (report_id, deadline, recipient_id, level) DO NOTHING
    RETURNING report_id, recipient_id, deadline, notification_id AS nid
),
stale AS (
    UPDATE reports_reportescalation e
    SET notification_id = nextval(pg_get_serial_sequence('notifications_notification', 'id'))
    WHERE e.id IN (
        SELECT x.id FROM reports_reportescalation x
        WHERE x.notification_id IS NULL AND x.report_id IN (SELECT id FROM due)
        FOR UPDATE SKIP LOCKED
    )
    RETURNING e.report_id, e.recipient_id, e.deadline, e.notification_id AS nid
),
pending AS (SELECT * FROM fresh UNION ALL SELECT * FROM stale),
notes AS (
    INSERT INTO notifications_notification
        (id, recipient_id, kind, title, body, link, child_id, created, read_at)
    SELECT p.nid, p.recipient_id, %(kind)s,
        left(replace(replace(replace(%(title)s,
            '{STEP}', COALESCE(NULLIF(r.next_step, ''), {STAGE_LABELS})),
            '{VILLAGE}', v.name),
            '{CHILD}', {CHILD_LABEL}), 200),
        replace(%(body)s, '{DUE}',
            to_char(p.deadline AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')),
        %(link_head)s || r.id::text || %(link_tail)s,
        r.child_id, %(now)s, NULL
    FROM pending p
    JOIN reports_mandatoryreport r ON r.id = p.report_id
    JOIN org_region v ON v.id = r.village_id
    LEFT JOIN children_child c ON c.id = r.child_id
    RETURNING id, recipient_id
),
copies AS (
    INSERT INTO notifications_delivery
        (notification_id, channel, address, status, attempts, next_attempt_at, last_error,
         claim_token, claimed_at, sent_at)
    SELECT n.id, %(sms)s, u.phone, %(pending)s, 0, NULL, '', NULL, NULL, NULL
    FROM notes n JOIN org_user u ON u.id = n.recipient_id
    WHERE u.phone <> ''
    RETURNING id
)
SELECT (SELECT count(*) FROM notes), (SELECT count(*) FROM copies)
"""  # noqa: S608 - fixed SQL built from this module's constants; the values are parameters


def escalate(
    *,
    now: datetime.datetime,
    later: dict[str, datetime.datetime],
    staff: list[tuple[str, int, int]],
) -> tuple[int, int]:
    """Run the statement: `later` maps each district's 6-digit prefix to the moment before
    which a deadline reaches the district; `staff` holds (prefix, user id, level): a town's
    9-digit prefix for its supervisors (level 1), a district's 6-digit one for civil affairs
    and the protection centre (level 2). Returns (notifications, SMS copies) written."""
    head, tail = reverse("reports:detail", args=[987654321]).split("987654321")
    params: dict[str, Any] = {
        "districts": list(later),
        "later": list(later.values()),
        "prefixes": [p for p, _u, _l in staff],
        "users": [u for _p, u, _l in staff],
        "levels": [int(level) for _p, _u, level in staff],
        "closed": Stage.CLOSED,
        "now": now,
        "kind": NotificationKind.REPORT_OVERDUE,
        "title": overdue_title(),
        "body": overdue_body(),
        "tz": settings.TIME_ZONE,
        "link_head": head,
        "link_tail": tail,
        "sms": Channel.SMS,
        "pending": SendStatus.PENDING,
        **{f"stage_{value}": str(label) for value, label in Stage.choices},
    }
    with connection.cursor() as cursor:
        cursor.execute(STATEMENT, params)
        notes, copies = cursor.fetchone()
    return int(notes), int(copies)
