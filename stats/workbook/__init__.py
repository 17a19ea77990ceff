"""The statistics workbook (统计报表) of a district or a town for a chosen date.

Every figure is a set-based aggregate over a scoped queryset (`visible_to(user)` or the user's
scope filter), grouped by the region-code prefix of the level below the area: the towns of a
district (first 9 digits) or the villages of a town (all 12). The number of queries is fixed,
whatever the number of children; the file is written with openpyxl's write-only mode, so
memory does not grow with the data either.

What "on the chosen date" means, sheet by sheet (also written on the first sheet):

- Children (category, gender and age, guardianship, schooling): children registered on or
  before the date and not closed before it (still active, or closed on or after the date).
  Their village, categories, gender, guardianship and schooling are as currently recorded
  (the archive's history is not replayed); ages are ages on the date. A child with several
  categories counts once in each, and once in the distinct total.
- Visit compliance: the rule of `visits.selectors.area_compliance` for the calendar month and
  quarter containing the date: children active today, contacted that month (in person for key
  children) and visited at home that quarter.
- Mandatory reports: reports filed on or before the date, by situation (a report with several
  situations counts in each) and by their current stage; "overdue" is an open report whose
  expected next step was due before the end of the date.
- Assistance: records started on or before the date, by type and status; "in force" is granted
  and not ended before the date.
- Staff: assignments active on the date (`org.selectors`), training by the rule of
  `training.selectors.coverage` (passed an assessment in the calendar year of the date).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from org.models import Region, User
from stats.workbook import children, work
from stats.workbook.book import StatisticsWorkbook

Progress = Callable[[int, str], None]


@dataclass
class WorkbookResult:
    sheets: int
    rows: int


def about(wb: StatisticsWorkbook, requested_by: str, generated_at: datetime.datetime) -> None:
    book = wb.book
    book.new_sheet(_("About this workbook"), (28, 90))
    book.header([_("Statistics workbook")])
    book.row([_("Region"), f"{wb.area.name} ({wb.area.code})"])
    book.row([_("Date"), wb.on.isoformat()])
    book.row([_("Exported by"), requested_by])
    book.row([_("Exported at"), timezone.localtime(generated_at).strftime("%Y-%m-%d %H:%M")])
    book.blank()
    book.header([_("What the figures count")])
    for label, text in (
        (
            _("Children"),
            _(
                "Children registered on or before the date and not closed before it. "
                "Village, categories, gender, guardianship and schooling as currently "
                "recorded; ages on the date. A child with several categories counts in "
                "each category and once in the distinct total."
            ),
        ),
        (
            _("Visit compliance"),
            _(
                "Children active today, contacted in the calendar month of the date (in "
                "person for key children, unless the district's cadence rule counts their "
                "phone and video contacts) and visited at home in its calendar quarter."
            ),
        ),
        (
            _("Mandatory reports"),
            _(
                "Reports filed on or before the date, by situation (a report counts in "
                "each of its situations) and by current stage."
            ),
        ),
        (
            _("Assistance"),
            _(
                "Assistance records started on or before the date; in force: granted and "
                "not ended before the date."
            ),
        ),
        (
            _("Staff and training"),
            _(
                "Assignments in force on the date; trained: passed an assessment in the "
                "calendar year of the date."
            ),
        ),
    ):
        book.row([label, text])


# The sheets after the first, in order: (name reported as progress, writer).
SHEETS: tuple[tuple[str, Callable[[StatisticsWorkbook], None]], ...] = (
    ("categories", children.categories),
    ("gender_age", children.gender_age),
    ("guardianship", children.guardianship),
    ("schooling", children.schooling),
    ("compliance", work.compliance),
    ("reports", work.reports),
    ("assistance", work.assistance),
    ("staff", work.staff),
)


def build_statistics_workbook(
    *,
    user: User,
    area: Region,
    on: datetime.date,
    out: str | IO[bytes],
    progress: Progress | None = None,
    now: datetime.datetime | None = None,
) -> WorkbookResult:
    """Write the statistics workbook of `area` (a district or a town) on `on` to `out`, as
    `user` sees it, reporting progress after each sheet."""
    workbook = StatisticsWorkbook(user, area, on)
    about(workbook, user.get_full_name(), now or clock.now())
    steps = len(SHEETS)
    for done, (name, write) in enumerate(SHEETS, start=1):
        write(workbook)
        if progress is not None:
            progress(round(95 * done / steps), name)
    workbook.book.save(out)
    if progress is not None:
        progress(100, "saved")
    return WorkbookResult(sheets=workbook.book.sheets, rows=workbook.book.rows)
