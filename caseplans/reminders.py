"""Reminding and escalating case-plan actions, like findings (matching.reminders): the
action's person, or the child's current director, when it is due within the district's
due-soon window (notifications.rules); the town's supervisor once it is
`supervisor_after_days` overdue; district civil affairs after `district_after_days`. Only the
open actions of approved plans. One notification per person and level with the count, each
action told once per level (`PlanAction.escalated`, raised set-based). And the review: the
child's director, when an approved plan's review is due within the due-soon window, once per
review date."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from caseplans.models import CasePlan, PlanAction, PlanStatus
from core import clock
from core.regions import district_code, town_code
from core.roles import Role
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


def actions_remind(today: datetime.date | None = None) -> int:
    """Send the reminders owed today; returns the actions told (all levels)."""
    today = today or clock.today()
    rules: dict[str, Rule] = dict(district_rules())
    told = 0
    for level, role, region_of in LEVELS:
        with transaction.atomic():
            rows = list(
                PlanAction.objects.select_for_update(of=("self",))
                .filter(done=False, escalated__lt=level, plan__status=PlanStatus.APPROVED)
                .values_list("pk", "plan__child__region_code", "due_on", "person_id")
            )
            owed = [
                (pk, code, person)
                for pk, code, due, person in rows
                if _owed(level, due, code, today, rules)
            ]
            if not owed:
                continue
            counts: dict[int, int] = defaultdict(int)
            per_region: dict[str, int] = defaultdict(int)
            for _pk, code, person in owed:
                if level == 1 and person is not None:
                    counts[person] += 1  # a named person is reminded herself
                else:
                    per_region[region_of(code)] += 1
            users: dict[int, User] = {
                u.pk: u for u in User.objects.filter(pk__in=list(counts), is_active=True)
            }
            for a in staff_serving(roles=[role], codes=per_region.keys()).select_related(
                "user", "region"
            ):
                counts[a.user_id] += per_region[a.region.code]
                users[a.user_id] = a.user
            link = reverse("caseplans:mine" if level == 1 else "caseplans:list")
            for user_id, count in counts.items():
                if user_id not in users:
                    continue
                title = (
                    _("%(n)d case plan actions due")
                    if level == 1
                    else _("%(n)d case plan actions overdue")
                ) % {"n": count}
                notify(
                    recipients=[users[user_id]], kind=NotificationKind.OTHER, title=title, link=link
                )
            ids = [pk for pk, _code, _person in owed]
            for start in range(0, len(ids), 2000):
                PlanAction.objects.filter(pk__in=ids[start : start + 2000]).update(escalated=level)
            told += len(ids)
    return told


def reviews_remind(today: datetime.date | None = None) -> int:
    """Remind the child's director of approved plans whose review is due soon or overdue, once
    per review date; returns the plans told."""
    today = today or clock.today()
    rules: dict[str, Rule] = dict(district_rules())
    with transaction.atomic():
        rows = list(
            CasePlan.objects.select_for_update(of=("self",))
            .filter(status=PlanStatus.APPROVED)
            .exclude(review_reminded_for=models.F("review_on"))
            .values_list("pk", "child__region_code", "review_on")
        )
        owed = [(pk, code) for pk, code, due in rows if _owed(1, due, code, today, rules)]
        if not owed:
            return 0
        per_region: dict[str, int] = defaultdict(int)
        for _pk, code in owed:
            per_region[code] += 1
        counts: dict[int, int] = defaultdict(int)
        users: dict[int, User] = {}
        for a in staff_serving(roles=[Role.CHILD_DIRECTOR], codes=per_region.keys()).select_related(
            "user", "region"
        ):
            counts[a.user_id] += per_region[a.region.code]
            users[a.user_id] = a.user
        link = reverse("caseplans:list") + "?status=approved"
        for user_id, count in counts.items():
            notify(
                recipients=[users[user_id]],
                kind=NotificationKind.OTHER,
                title=_("%(n)d case plans to review") % {"n": count},
                link=link,
            )
        ids = [pk for pk, _code in owed]
        for start in range(0, len(ids), 2000):
            CasePlan.objects.filter(pk__in=ids[start : start + 2000]).update(
                review_reminded_for=models.F("review_on")
            )
    return len(ids)
