"""Villages without a safety-education activity this year (004 item 13), reminded to their
town's supervisor in the last quarter: from the day the district's `ActivityRule` names
(1 October by default). Each village is told once a year (`SafetyReminder`), one
notification per supervisor with the villages newly found; the sweep runs daily."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from activities.models import ActivityRule, SafetyReminder
from activities.selectors import villages_without_safety
from core import clock
from core.regions import Level, district_prefix, town_code
from core.roles import Role
from core.scoping import Scope
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import Region, User
from org.selectors import staff_serving

DEFAULT_RULE = ActivityRule()


def remind_from(rule: ActivityRule, year: int) -> datetime.date:
    return datetime.date(year, rule.remind_month, rule.remind_day)


def safety_education_remind(today: datetime.date | None = None) -> int:
    """Tell the town supervisors of the villages still without a safety-education activity
    this year, where the district's rule says it is time; returns the villages told."""
    today = today or clock.today()
    year = today.year
    rules = {r.district.code: r for r in ActivityRule.objects.select_related("district")}
    districts = Region.objects.filter(level=Level.DISTRICT).values_list("code", flat=True)
    due = [
        district_prefix(code)
        for code in districts
        if today >= remind_from(rules.get(code, DEFAULT_RULE), year)
    ]
    if not due:
        return 0
    with transaction.atomic():
        told_before = SafetyReminder.objects.filter(year=year).values("village_id")
        villages = list(
            villages_without_safety(Scope.of_prefixes(due), year).exclude(pk__in=told_before)
        )
        per_town: dict[str, list[Region]] = defaultdict(list)
        for village in villages:
            per_town[town_code(village.code)].append(village)
        recipients: dict[int, User] = {}
        told: dict[int, list[Region]] = defaultdict(list)
        served: set[str] = set()
        for a in staff_serving(roles=[Role.SUPERVISOR], codes=per_town.keys()).select_related(
            "user", "region"
        ):
            recipients[a.user_id] = a.user
            told[a.user_id] += per_town[a.region.code]
            served.add(a.region.code)
        link = reverse("activities:dashboard")
        for user_id, places in told.items():
            names = "、".join(v.name for v in places)
            notify(
                recipients=[recipients[user_id]],
                kind=NotificationKind.OTHER,
                title=_("%(n)d villages have had no safety-education activity this year")
                % {"n": len(places)},
                body=_("No safety education recorded in %(year)s for: %(villages)s.")
                % {"year": year, "villages": names},
                link=link,
            )
        # Only villages whose town has a supervisor to tell are marked: one appointed later
        # is told at the next run.
        marked = [
            SafetyReminder(village=v, year=year, sent_on=today)
            for code, places in per_town.items()
            if code in served
            for v in places
        ]
        SafetyReminder.objects.bulk_create(marked, ignore_conflicts=True)
    return len(marked)
