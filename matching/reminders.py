"""Reminding and escalating open findings, like overdue visits: the village's director when
a finding is due within the district's due-soon window (notifications.rules), the town's
supervisor once it is `supervisor_after_days` overdue, district civil affairs after
`district_after_days`. One notification per person and level with the count (notify), each
finding told once per level (`Finding.escalated`, raised set-based); and the purge of the
uploaded files after MATCHING_FILE_DAYS."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core import clock
from core.regions import district_code, town_code
from core.roles import Role
from matching.models import Finding, ListImport
from notifications.models import NotificationKind
from notifications.rules import DEFAULTS, Rule, district_rules
from notifications.services import notify
from org.models import User
from org.selectors import staff_serving

LEVELS = (
    (1, Role.CHILD_DIRECTOR, lambda code: code),
    (2, Role.SUPERVISOR, town_code),
    (3, Role.CIVIL_AFFAIRS, district_code),
)


def _owed(
    level: int, due: datetime.date, code: str, today: datetime.date, rules: dict[str, Rule]
) -> bool:
    rule = rules.get(district_code(code), DEFAULTS)
    if level == 1:
        return due <= today + datetime.timedelta(days=rule.due_soon_days)
    days = rule.supervisor_after_days if level == 2 else rule.district_after_days
    return due <= today - datetime.timedelta(days=days)


def findings_remind(today: datetime.date | None = None) -> int:
    """Send the reminders owed today; returns the findings told (all levels)."""
    today = today or clock.today()
    rules: dict[str, Rule] = dict(district_rules())
    told = 0
    for level, role, region_of in LEVELS:
        with transaction.atomic():
            rows = list(
                Finding.objects.select_for_update()
                .filter(done=False, escalated__lt=level)
                .values_list("pk", "region_code", "due_on")
            )
            owed = [(pk, code) for pk, code, due in rows if _owed(level, due, code, today, rules)]
            if not owed:
                continue
            per_region: dict[str, int] = defaultdict(int)
            for _pk, code in owed:
                per_region[region_of(code)] += 1
            counts: dict[int, int] = defaultdict(int)
            users: dict[int, User] = {}
            for a in staff_serving(roles=[role], codes=per_region.keys()).select_related(
                "user", "region"
            ):
                counts[a.user_id] += per_region[a.region.code]
                users[a.user_id] = a.user
            link = reverse("matching:my_findings" if level == 1 else "matching:findings")
            for user_id, count in counts.items():
                title = (
                    _("%(n)d findings to visit") if level == 1 else _("%(n)d findings overdue")
                ) % {"n": count}
                notify(
                    recipients=[users[user_id]], kind=NotificationKind.OTHER, title=title, link=link
                )
            ids = [pk for pk, _code in owed]
            for start in range(0, len(ids), 2000):
                Finding.objects.filter(pk__in=ids[start : start + 2000]).update(escalated=level)
            told += len(ids)
    return told


def list_files_purge(now: datetime.datetime | None = None) -> int:
    """Delete uploaded list files older than MATCHING_FILE_DAYS (imported or not)."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(days=settings.MATCHING_FILE_DAYS)
    purged = 0
    for record in ListImport.objects.exclude(file="").filter(created_at__lt=cutoff).iterator():
        record.file.delete(save=False)
        ListImport.objects.filter(pk=record.pk).update(file="", purged_at=now)
        purged += 1
    return purged
