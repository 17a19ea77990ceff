"""The reminder rule: defaults in one place, overridden per district by ReminderRule rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from core.district_rules import rule_fields
from core.regions import district_code
from notifications.models import ReminderRule

# The default of Rule.inspection_reminder_days (a district may set 1 to 60 days).
INSPECTION_REMINDER_DAYS: int = settings.NOTIFICATIONS_INSPECTION_REMINDER_DAYS


@dataclass(frozen=True)
class Rule:
    due_soon_days: int = 7  # a due-soon reminder this many days before (and on) the due date
    supervisor_after_days: int = 7  # the town supervisor is told at this many days overdue
    district_after_days: int = 30  # district civil affairs is told at this many days overdue
    digest_threshold: int = 5  # more reminders than this for one person: one digest
    # Village inspections (R16): the town supervisor is reminded this many days before the
    # quarter's last day of each village of the town not yet inspected this quarter.
    inspection_reminder_days: int = INSPECTION_REMINDER_DAYS


DEFAULTS = Rule()
FIELDS = rule_fields(ReminderRule)

# Delivery retries: attempt n (1-based) failing waits RETRY_BASE_SECONDS * 2**(n-1).
MAX_ATTEMPTS: int = settings.NOTIFICATIONS_MAX_ATTEMPTS
RETRY_BASE_SECONDS: int = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
# A claim older than this (the lease) is taken to belong to a worker that died: the rows are
# claimed again (NOTIFICATIONS_CLAIM_LEASE_SECONDS, 15 minutes by default).
STALE_CLAIM_SECONDS: int = settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS


def district_rules() -> dict[str, Rule]:
    """Every district override, by the district's 12-digit code."""
    return {
        row["district__code"]: Rule(**{f: row[f] for f in FIELDS})
        for row in ReminderRule.objects.values("district__code", *FIELDS)
    }


def rule_for(code: str) -> Rule:
    """The rule of the district containing `code`."""
    return district_rules().get(district_code(code), DEFAULTS)
