"""Derived facts about a child: left-behind eligibility (R10) and key-child status (R15).

Pure functions of the record's facts, so the service, the importer and the tests share them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from children.choices import (
    ENTRUSTED,
    LEFT_BEHIND,
    LEFT_BEHIND_AGE_LIMIT,
    UNABLE_TO_GUARD,
    CarerCapacity,
    Category,
    GuardianType,
    Health,
    ParentStatus,
    Schooling,
)


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about a child."""

    birth_date: datetime.date
    parent_statuses: tuple[str, ...]  # one per recorded parent
    categories: frozenset[str]
    guardian_type: str
    carer_capacity: str
    schooling: str
    health: str
    psychological_concern: bool


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def left_behind_by_parents(statuses: Iterable[str]) -> bool:
    """R10: both parents work away, or one works away and the other cannot guard."""
    statuses = list(statuses)
    away = sum(1 for s in statuses if s == ParentStatus.WORKING_AWAY)
    unable = sum(1 for s in statuses if s in UNABLE_TO_GUARD)
    if len(statuses) < 2:
        # A parent not recorded counts as unknown, never as away.
        return False
    return away == 2 or (away == 1 and unable == 1)


def eligibility_warnings(facts: Facts, today: datetime.date) -> list[Promise]:
    """Where the chosen categories disagree with what R10 derives from the facts."""
    warnings: list[Promise] = []
    age = age_on(facts.birth_date, today)
    marked = bool(facts.categories & LEFT_BEHIND)
    eligible = left_behind_by_parents(facts.parent_statuses) and age < LEFT_BEHIND_AGE_LIMIT
    if marked and age >= LEFT_BEHIND_AGE_LIMIT:
        warnings.append(_("Marked left-behind, but the child is 16 or older."))
    elif marked and not left_behind_by_parents(facts.parent_statuses):
        warnings.append(
            _(
                "Marked left-behind, but the parents' status does not make the child "
                "left-behind (both away, or one away and the other unable to guard)."
            )
        )
    if eligible and not marked:
        warnings.append(
            _("Under 16 with both parents away (or one away and the other unable to guard), "
              "but not marked left-behind.")
        )  # fmt: skip
    if (
        Category.ORPHAN in facts.categories
        and facts.parent_statuses
        and any(s != ParentStatus.DECEASED for s in facts.parent_statuses)
    ):
        warnings.append(_("Marked as an orphan, but a parent is not recorded as deceased."))
    return warnings


class KeyReason:
    PARENT_DISABLED = "parent_disabled"
    CHILD_DISABLED = "child_disabled"
    CHILD_ILL = "child_ill"
    PSYCHOLOGICAL = "psychological"
    NO_GUARDIAN = "no_guardian"
    ONE_AWAY_OTHER_UNABLE = "one_away_other_unable"
    CARER_UNFIT = "carer_unfit"
    DROPPED_OUT = "dropped_out"


KEY_REASON_LABELS = {
    KeyReason.PARENT_DISABLED: _("A parent is severely disabled"),
    KeyReason.CHILD_DISABLED: _("The child is disabled"),
    KeyReason.CHILD_ILL: _("The child is seriously ill"),
    KeyReason.PSYCHOLOGICAL: _("Psychological or behavioural concern"),
    KeyReason.NO_GUARDIAN: _("No guardian"),
    KeyReason.ONE_AWAY_OTHER_UNABLE: _("One parent away and the other unable to guard"),
    KeyReason.CARER_UNFIT: _("The entrusted carer lacks capacity or neglects the child"),
    KeyReason.DROPPED_OUT: _("Dropped out of school"),
}


def key_reasons(facts: Facts) -> list[str]:
    """R15: the reasons a child must be visited more often and in person (empty: not key)."""
    reasons: list[str] = []
    statuses = facts.parent_statuses
    if ParentStatus.SEVERELY_DISABLED in statuses:
        reasons.append(KeyReason.PARENT_DISABLED)
    if facts.health in (Health.DISABLED, Health.DISABLED_AND_ILL):
        reasons.append(KeyReason.CHILD_DISABLED)
    if facts.health in (Health.ILL, Health.DISABLED_AND_ILL):
        reasons.append(KeyReason.CHILD_ILL)
    if facts.psychological_concern:
        reasons.append(KeyReason.PSYCHOLOGICAL)
    if facts.guardian_type == GuardianType.NONE:
        reasons.append(KeyReason.NO_GUARDIAN)
    away = sum(1 for s in statuses if s == ParentStatus.WORKING_AWAY)
    unable = sum(1 for s in statuses if s in UNABLE_TO_GUARD)
    if away == 1 and unable >= 1:
        reasons.append(KeyReason.ONE_AWAY_OTHER_UNABLE)
    if facts.guardian_type in ENTRUSTED and facts.carer_capacity in (
        CarerCapacity.INCAPABLE,
        CarerCapacity.NEGLECTFUL,
    ):
        reasons.append(KeyReason.CARER_UNFIT)
    if facts.schooling == Schooling.DROPPED_OUT:
        reasons.append(KeyReason.DROPPED_OUT)
    return reasons
