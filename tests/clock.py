"""The suite's clock: which instant "now" is frozen at, and how tests ask for another.

Every test runs with "now" frozen (time-machine, ticking forward from the instant so that rows
written one after another keep their order) at the suite's instant:

* by default 2026-11-23 10:00 Asia/Shanghai (`DEFAULT_NOW`, a Monday in the middle of a
  month and of a quarter, the day most hand-written scenarios were written for);
* `CARECASE_TEST_NOW=2027-01-31` (or an ISO datetime) moves it, which is what the calendar
  run (`make test-calendar`) does for each of its dates; `CARECASE_TEST_NOW=today` freezes it
  at the machine's real current instant; `CARECASE_TEST_NOW=real` does not freeze at all.

A test that needs a particular day says so with `@pytest.mark.frozen_at("2026-03-31")` (its
expectations are then computed for that day); a test that needs a running clock says
`@pytest.mark.real_clock`. Everything else derives its expected dates from `TODAY` (or the
`clock` fixture), never from a date written by hand.

The freezing starts when pytest configures itself, so module-level constants such as
`TODAY = clock.today()` evaluated at import see the frozen day too.
"""

from __future__ import annotations

import calendar
import datetime
import os
import zoneinfo

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DEFAULT_NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
# The hour a frozen date is frozen at: mid-morning, far from either midnight.
FROZEN_HOUR = datetime.time(10, 0)


def parse(value: str) -> datetime.datetime | None:
    """The instant CARECASE_TEST_NOW names (None: the real, running clock)."""
    value = value.strip()
    if not value:
        return DEFAULT_NOW
    if value == "real":
        return None
    if value == "today":
        return datetime.datetime.now(SHANGHAI).replace(microsecond=0)
    if "T" in value or " " in value:
        moment = datetime.datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    return datetime.datetime.combine(datetime.date.fromisoformat(value), FROZEN_HOUR, SHANGHAI)


def instant(value: str | datetime.date | datetime.datetime) -> datetime.datetime:
    """A marker's argument as an aware instant (a date means that day at FROZEN_HOUR)."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, FROZEN_HOUR, SHANGHAI)
    moment = parse(value)
    assert moment is not None, "frozen_at needs a date or an instant"
    return moment


SUITE_NOW: datetime.datetime | None = parse(os.environ.get("CARECASE_TEST_NOW", ""))


def today() -> datetime.date:
    """The suite's day in Asia/Shanghai (the real day when the clock is not frozen)."""
    return (SUITE_NOW or datetime.datetime.now(SHANGHAI)).astimezone(SHANGHAI).date()


# --- Calendar arithmetic for expectations, written independently of the code under test ---


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` + `months` calendar months, clamped to the end of the target month."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return datetime.date(year, month0 + 1, min(day.day, last))


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: datetime.date) -> datetime.date:
    return month_end(add_months(quarter_start(day), 2))


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` years earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
