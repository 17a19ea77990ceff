"""The statistics workbook's writer and what its sheets share: the area and its sub-areas, the
children on the chosen date, grouping by region-code prefix, one cross-tabulation."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import IO, Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from children.choices import (
    Status,
)
from children.models import Child
from core.regions import PREFIX_LENGTH, Level, prefix_range
from org.models import Region, User

BREAKDOWN = {Level.DISTRICT: Level.TOWN, Level.TOWN: Level.VILLAGE}
EXPORT_LEVELS = frozenset(BREAKDOWN)


def end_of(day: datetime.date) -> datetime.datetime:
    """The first instant after `day` in the project's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def population(user: User, area: Region, on: datetime.date) -> QuerySet[Child]:
    """Children of `area` visible to `user`, registered on or before `on` and not closed
    before it."""
    return (
        Child.objects.visible_to(user)
        .filter(region_code__range=prefix_range(area.prefix), created_at__lt=end_of(on))
        .filter(Q(status=Status.ACTIVE) | Q(closed_on__gte=on))
    )


def sub_areas(user: User, area: Region) -> list[Region]:
    below = BREAKDOWN[Level(area.level)]
    return list(
        Region.objects.visible_to(user)
        .filter(code__range=prefix_range(area.prefix), level=below)
        .order_by("code")
    )


def by_prefix(
    queryset: QuerySet[Any], code_field: str, length: int, **aggregates: Any
) -> dict[str, dict[str, Any]]:
    rows = (
        queryset.annotate(area_prefix=Substr(code_field, 1, length))
        .values("area_prefix")
        .annotate(**aggregates)
        .order_by()
    )
    return {row["area_prefix"]: row for row in rows}


class Book:
    """A write-only workbook counting its sheets and rows."""

    def __init__(self) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        self.workbook = Workbook(write_only=True)
        self.bold = Font(bold=True)
        self.sheets = 0
        self.rows = 0
        self.sheet: Any = None

    def new_sheet(self, title: str, widths: Sequence[int] = (24,)) -> None:
        self.sheet = self.workbook.create_sheet(title=title[:31])
        for index, width in enumerate(widths):
            letter = chr(ord("A") + index)
            self.sheet.column_dimensions[letter].width = width
        self.sheets += 1

    def header(self, values: Iterable[Any]) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for value in values:
            cell = WriteOnlyCell(self.sheet, value=str(value))
            cell.font = self.bold
            cells.append(cell)
        self.sheet.append(cells)
        self.rows += 1

    def row(self, values: Iterable[Any]) -> None:
        self.sheet.append([str(v) if isinstance(v, Promise) else v for v in values])
        self.rows += 1

    def blank(self) -> None:
        self.sheet.append([])

    def save(self, out: str | IO[bytes]) -> None:
        self.workbook.save(out)


def area_label(area: Region) -> str:
    return _("Town/street") if area.level == Level.DISTRICT else _("Village/community")


class StatisticsWorkbook:
    """What every sheet reads: the area, the date, its sub-areas, its children on the date,
    and the book being written."""

    def __init__(self, user: User, area: Region, on: datetime.date) -> None:
        if area.level not in EXPORT_LEVELS:
            raise ValueError("Statistics are exported for a district or a town.")
        self.user = user
        self.area = area
        self.on = on
        self.length = PREFIX_LENGTH[BREAKDOWN[Level(area.level)]]
        self.parts = sub_areas(user, area)
        self.children = population(user, area, on)
        self.book = Book()

    def crosstab(
        self,
        title: str,
        field: str,
        choices: Sequence[tuple[Any, Any]],
        *,
        first: bool = True,
    ) -> None:
        """Sub-areas × the choices of `field`, with totals: one query."""
        aggregates = {
            f"c{i}": Count("pk", filter=Q(**{field: value}))
            for i, (value, _l) in enumerate(choices)
        }
        rows = by_prefix(self.children, "region_code", self.length, total=Count("pk"), **aggregates)
        keys = [*aggregates, "total"]
        if not first:
            self.book.blank()
        self.book.header([title])
        self.book.header([area_label(self.area), *(label for _v, label in choices), _("Total")])
        for part in self.parts:
            row = rows.get(part.prefix, {})
            self.book.row([part.name, *(row.get(k, 0) for k in keys)])
        self.book.row([_("Total"), *(sum(r[k] for r in rows.values()) for k in keys)])
