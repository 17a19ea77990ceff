"""The director's "my work" page put in the order she works in (issue 15): what must be done
first (the follow-up items of a visit that found the child in danger, the other urgent
items, the rectification items due, the overdue items), then her children by village
(overdue, due soon, the rest), then what can wait. Each child's row says per kind what is
late and by how many days, or when it is due. No query here: the rows come from
visits.selectors; this only words and splits them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from children.models import Child
from visits.models import FollowUp, Rectification
from visits.selectors import SOON_DAYS

# The order of the items done first (lower first).
DANGER, URGENT, RECTIFICATION_DUE, OVERDUE_ITEM = 0, 1, 2, 3
# A date written as month and day when it is this close to today; with the year otherwise.
MONTH_DAY_SPAN = datetime.timedelta(days=180)


@dataclass(frozen=True)
class Due:
    """One kind of work due for a child: `text` reads "联系逾期 34 天" or "入户走访 12月28日
    到期"."""

    kind: str  # "contact" or "home_visit"
    text: str
    overdue: bool
    days_late: int | None  # None when not late


def short_date(day: datetime.date, today: datetime.date) -> str:
    """12月28日 near today; 2027年5月1日 further away."""
    if abs(day - today) <= MONTH_DAY_SPAN:
        return pgettext("month and day", "%(month)d/%(day)d") % {
            "month": day.month,
            "day": day.day,
        }
    return pgettext("year, month and day", "%(year)d/%(month)d/%(day)d") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def due_phrase(kind: str, label: str, due: datetime.date, today: datetime.date) -> Due:
    if due < today:
        days = (today - due).days
        text = ngettext(
            "%(kind)s overdue by %(days)d day", "%(kind)s overdue by %(days)d days", days
        ) % {"kind": label, "days": days}
        return Due(kind, text, True, days)
    if due == today:
        return Due(kind, _("%(kind)s due today") % {"kind": label}, False, None)
    text = _("%(kind)s due %(date)s") % {"kind": label, "date": short_date(due, today)}
    return Due(kind, text, False, None)


def dues(child: Child, today: datetime.date) -> list[Due]:
    """The child's contact and home visit, each worded by itself (a kind without a due date
    is left out)."""
    kinds = (
        ("contact", _("contact"), child.next_contact_due),
        ("home_visit", _("home visit"), child.next_home_visit_due),
    )
    return [due_phrase(kind, str(label), due, today) for kind, label, due in kinds if due]


def word_rows(children: Iterable[Child], today: datetime.date) -> list[Child]:
    """The page's children, each with `dues` (list of Due) set."""
    rows = list(children)
    for child in rows:
        child.dues = dues(child, today)  # type: ignore[attr-defined]
    return rows


@dataclass
class WorkItems:
    """Open follow-up and rectification items, split into what is done first (`first`: pairs
    of ("follow_up" | "rectification", item), in order) and what can wait."""

    first: list[tuple[str, Any]] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    rectifications: list[Rectification] = field(default_factory=list)


def follow_up_rank(item: FollowUp, today: datetime.date) -> int | None:
    """DANGER, URGENT or OVERDUE_ITEM for an item done first; None for one that can wait."""
    if item.urgent and item.visit.danger_found:
        return DANGER
    if item.urgent:
        return URGENT
    if item.due_on < today:
        return OVERDUE_ITEM
    return None


def split_items(
    follow_ups: Sequence[FollowUp], rectifications: Sequence[Rectification], today: datetime.date
) -> WorkItems:
    """Danger follow-ups, then urgent ones, then rectification items due within SOON_DAYS
    (R16: overdue first), then overdue follow-ups; each group keeps the selectors' order."""
    soon = today + datetime.timedelta(days=SOON_DAYS)
    result = WorkItems()
    ranked: list[tuple[int, int, str, Any]] = []
    for i, item in enumerate(follow_ups):
        rank = follow_up_rank(item, today)
        if rank is None:
            result.follow_ups.append(item)
        else:
            ranked.append((rank, i, "follow_up", item))
    for i, rect in enumerate(rectifications):
        if rect.due_on <= soon:
            ranked.append((RECTIFICATION_DUE, i, "rectification", rect))
        else:
            result.rectifications.append(rect)
    ranked.sort(key=lambda row: (row[0], row[1]))
    result.first = [(kind, item) for _rank, _i, kind, item in ranked]
    return result
