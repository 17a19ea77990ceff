"""Reminding and escalating overdue referrals, like matching's findings: an open referral is
overdue when the provider has not answered by `respond_by`, or has accepted and recorded no
outcome by `due_on`. The day it is overdue, the referrer and the provider's staff are told;
the town's supervisor once it is `supervisor_after_days` overdue, district civil affairs after
`district_after_days` (the district's reminder rule, notifications.rules). One notification per
person and level with the count; each referral told once per level (`reminded`, set back to 0
when the provider answers, so the outcome's deadline is reminded afresh)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core import clock
from core.regions import district_code, town_code
from core.roles import Role
from notifications.models import NotificationKind
from notifications.rules import DEFAULTS, Rule, district_rules
from notifications.services import notify
from org.models import User
from org.selectors import staff_serving
from providers.models import ProviderStaff, ReferralStatus, ServiceReferral


def _owed(
    level: int, due: datetime.date, code: str, today: datetime.date, rules: dict[str, Rule]
) -> bool:
    if level == 1:
        return due < today
    rule = rules.get(district_code(code), DEFAULTS)
    days = rule.supervisor_after_days if level == 2 else rule.district_after_days
    return due <= today - datetime.timedelta(days=days)


def referrals_remind(today: datetime.date | None = None) -> int:
    """Send the reminders owed today; returns the referrals told (all levels)."""
    today = today or clock.today()
    rules: dict[str, Rule] = dict(district_rules())
    told = 0
    for level in (1, 2, 3):
        with transaction.atomic():
            rows = list(
                ServiceReferral.objects.select_for_update(of=("self",))
                .filter(status__in=[ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED])
                .filter(reminded__lt=level)
                .values_list("pk", "child__region_code", "status", "respond_by", "due_on",
                             "referred_by_id", "provider_id")
            )  # fmt: skip
            owed = [
                (pk, code, referrer, provider)
                for pk, code, status, respond_by, due_on, referrer, provider in rows
                if _owed(
                    level,
                    respond_by if status == ReferralStatus.REQUESTED else due_on,
                    code,
                    today,
                    rules,
                )
            ]
            if not owed:
                continue
            counts: dict[int, int] = defaultdict(int)
            if level == 1:
                staff: dict[int, list[int]] = defaultdict(list)
                for provider_id, user_id in ProviderStaff.objects.filter(
                    provider_id__in={p for *_rest, p in owed}
                ).values_list("provider_id", "user_id"):
                    staff[provider_id].append(user_id)
                for _pk, _code, referrer, provider in owed:
                    for user_id in {referrer, *staff[provider]}:
                        counts[user_id] += 1
            else:
                role = Role.SUPERVISOR if level == 2 else Role.CIVIL_AFFAIRS
                region_of = town_code if level == 2 else district_code
                per_region: dict[str, int] = defaultdict(int)
                for _pk, code, _referrer, _provider in owed:
                    per_region[region_of(code)] += 1
                for a in staff_serving(roles=[role], codes=per_region.keys()).select_related(
                    "region"
                ):
                    counts[a.user_id] += per_region[a.region.code]
            users = User.objects.in_bulk(list(counts))
            for user_id, count in counts.items():
                user = users.get(user_id)
                if user is None or not user.is_active:
                    continue
                is_staff_only = level == 1 and user_id not in {r for _p, _c, r, _pr in owed}
                link = reverse("providers:inbox" if is_staff_only else "providers:referrals")
                notify(
                    recipients=[user],
                    kind=NotificationKind.OTHER,
                    title=_("%(n)d referrals overdue") % {"n": count},
                    link=link + ("" if is_staff_only else "?status=overdue"),
                )
            ids = [pk for pk, *_rest in owed]
            for start in range(0, len(ids), 2000):
                ServiceReferral.objects.filter(pk__in=ids[start : start + 2000]).update(
                    reminded=level
                )
            told += len(ids)
    return told
