"""In-app delivery of one claimed batch in one statement (PostgreSQL).

The reminders of a claim token, except those of people who get a digest, become their
notifications, the notifications' email and SMS copies, and "sent" with the notification
recorded, in one data-modifying statement: a CTE draws one notification id per reminder from
the table's sequence, inserts the notifications and the deliveries from it, and updates the
reminders. The texts are the same translated templates as the Python path
(notifications.texts), filled in by SQL `replace` (the child's name last, so nothing in an
inserted value is read as a placeholder; names are validated 汉字). The plural form of the
"days ago" sentence is chosen by n == 1, which is exact for the languages CareCase ships
(zh-Hans has one form, English two).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import connection
from django.utils import timezone

from notifications.models import Channel, NotificationKind, SendStatus
from notifications.texts import due_text, inspection_texts, late_text

# The placeholders as they are written inside the statement's SQL literals (% doubled for the
# driver's parameter syntax).
CHILD, VILLAGE, DATE, DAYS = "%%(child)s", "%%(village)s", "%%(date)s", "%%(days)d"


def _fill(template_sql: str) -> str:
    """SQL filling a template's placeholders from the reminder's row (`d` is its due date as
    text, `days` the days since, `vname` the village's name, `cname` the child's)."""
    return (
        f"replace(replace(replace(replace({template_sql}, '{VILLAGE}', vname), "
        f"'{DATE}', d), '{DAYS}', days::text), '{CHILD}', COALESCE(cname, ''))"
    )


def _templates(titles: dict[str, str]) -> dict[str, Any]:
    """The translated templates (notifications.texts, the ORM path's too), as the
    statement's parameters."""
    inspection_title, inspection_body = inspection_texts()
    return {
        "t_contact_due_soon": titles[NotificationKind.CONTACT_DUE_SOON],
        "t_contact_overdue": titles[NotificationKind.CONTACT_OVERDUE],
        "t_visit_due_soon": titles[NotificationKind.VISIT_DUE_SOON],
        "t_visit_overdue": titles[NotificationKind.VISIT_OVERDUE],
        "t_inspection": inspection_title,
        "b_inspection": inspection_body,
        "b_late_one": late_text(1),
        "b_late_many": late_text(2),
        "b_due": due_text(),
    }


STATEMENT = f"""
WITH r AS (
    SELECT rem.id AS rid, nextval(pg_get_serial_sequence('notifications_notification', 'id'))
               AS nid,
           rem.recipient_id, rem.kind, rem.child_id, rem.village_id,
           to_char(rem.due_date, 'YYYY-MM-DD') AS d,
           (%(today)s::date - rem.due_date) AS days,
           COALESCE(cv.name, iv.name) AS vname, c.name AS cname
    FROM notifications_reminder rem
    LEFT JOIN children_child c ON c.id = rem.child_id
    LEFT JOIN org_region cv ON cv.id = c.village_id
    LEFT JOIN org_region iv ON iv.id = rem.village_id
    WHERE rem.claim_token = %(token)s AND rem.status = %(claimed)s
      AND NOT (rem.recipient_id = ANY(%(digest)s))
    -- Locked and checked again once locked: a row another worker claimed since is not ours.
    FOR UPDATE OF rem
),
texts AS (
    SELECT r.*,
        CASE WHEN village_id IS NOT NULL THEN {_fill("%(t_inspection)s")}
             ELSE {
    _fill('''CASE kind WHEN 'contact_due_soon' THEN %(t_contact_due_soon)s
                 WHEN 'contact_overdue' THEN %(t_contact_overdue)s
                 WHEN 'visit_due_soon' THEN %(t_visit_due_soon)s
                 ELSE %(t_visit_overdue)s END''')
} END AS title,
        CASE WHEN village_id IS NOT NULL THEN {_fill("%(b_inspection)s")}
             WHEN days = 1 THEN {_fill("%(b_late_one)s")}
             WHEN days > 0 THEN {_fill("%(b_late_many)s")}
             ELSE {_fill("%(b_due)s")} END AS body,
        CASE WHEN child_id IS NULL THEN %(inspections)s
             ELSE %(child_head)s || child_id::text || %(child_tail)s END AS link
    FROM r
),
notes AS (
    INSERT INTO notifications_notification
        (id, recipient_id, kind, title, body, link, child_id, created, read_at)
    SELECT nid, recipient_id, kind, left(title, 200), body, left(link, 300), child_id,
           %(now)s, NULL
    FROM texts
    RETURNING id
),
copies AS (
    INSERT INTO notifications_delivery
        (notification_id, channel, address, status, attempts, next_attempt_at, last_error,
         claim_token, claimed_at, sent_at)
    SELECT r.nid, ch.channel, ch.address, %(pending)s, 0, NULL, '', NULL, NULL, NULL
    FROM r JOIN org_user u ON u.id = r.recipient_id
    CROSS JOIN LATERAL (VALUES (%(email)s, u.email), (%(sms)s, u.phone)) AS ch(channel, address)
    WHERE ch.address <> ''
    RETURNING id
)
UPDATE notifications_reminder AS rem
SET status = %(sent)s, sent_at = %(now)s, notification_id = r.nid, claim_token = NULL
FROM r WHERE rem.id = r.rid
"""  # noqa: S608 - fixed SQL built from this module's constants; the values are parameters


def write_singles(
    token: uuid.UUID,
    digest: list[int],
    now: datetime.datetime,
    titles: dict[str, str],
    child_link: tuple[str, str],
    inspections_link: str,
) -> int:
    """Write the notifications of the reminders claimed with `token`, one per reminder,
    except those of the people in `digest`; returns how many (the caller's transaction)."""
    params = {
        **_templates(titles),
        "token": token,
        "claimed": SendStatus.CLAIMED,
        "sent": SendStatus.SENT,
        "pending": SendStatus.PENDING,
        "digest": digest,
        "today": timezone.localdate(now),
        "now": now,
        "email": Channel.EMAIL,
        "sms": Channel.SMS,
        "inspections": inspections_link,
        "child_head": child_link[0],
        "child_tail": child_link[1],
    }
    with connection.cursor() as cursor:
        cursor.execute(STATEMENT, params)
        return int(cursor.rowcount)
