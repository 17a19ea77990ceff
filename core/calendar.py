"""Calendar arithmetic, once: months that clamp to the month's end, quarters, years back.

The cadence (R14: a contact each month, a home visit each quarter), the compliance periods,
inspection quarters (R16), training rotation (R7), ages and the dashboards' trend all count
with these. `visits.cadence.AddMonths` is the same month arithmetic in SQL.
"""

from __future__ import annotations

import calendar
import datetime

from django.utils.translation import gettext as _


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` + `months` calendar months, clamped to the last day of the target month
    (2026-01-31 + 1 month = 2026-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of `day`'s calendar month."""
    start = day.replace(day=1)
    return start, add_months(start, 1) - datetime.timedelta(days=1)


def quarter_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of `day`'s calendar quarter."""
    start = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return start, add_months(start, 3) - datetime.timedelta(days=1)


def quarter_of(day: datetime.date) -> str:
    """The quarter's label, as stored on inspections: 2026Q4."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_label(day: datetime.date) -> str:
    """The quarter as people read it: 2026年第4季度 (the stored label is quarter_of's)."""
    return _("%(year)s, quarter %(quarter)s") % {
        "year": day.year,
        "quarter": (day.month - 1) // 3 + 1,
    }


def pct(part: int, total: int) -> float | None:
    """`part` of `total` in percent, one decimal; None when there is nothing to count."""
    return round(100 * part / total, 1) if total else None
