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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Case, CharField, Count, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from children.choices import (
    AssistanceStatus,
    AssistanceType,
    Category,
    Gender,
    GuardianshipQuality,
    GuardianType,
    Schooling,
    Status,
)
from children.models import Assistance, Child
from core import clock, scoping
from core.calendar import pct, years_before
from core.regions import PREFIX_LENGTH, Level, prefix_range
from org import selectors as org_selectors
from org.models import Region
from reports.models import MandatoryReport, Situation, Stage
from training import selectors as training_selectors
from visits import selectors as visit_selectors

# Age bands on the chosen date: under 3, preschool, primary age, junior and senior middle age
# below the left-behind limit (16, R10), 16-17, and 18 or over (awaiting closure).
AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 2),
    (3, 5),
    (6, 11),
    (12, 15),
    (16, 17),
    (18, None),
)
BREAKDOWN = {Level.DISTRICT: Level.TOWN, Level.TOWN: Level.VILLAGE}
EXPORT_LEVELS = frozenset(BREAKDOWN)

Progress = Callable[[int, str], None]


@dataclass
class WorkbookResult:
    sheets: int
    rows: int


def end_of(day: datetime.date) -> datetime.datetime:
    """The first instant after `day` in the project's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def population(user: Any, area: Region, on: datetime.date) -> QuerySet[Child]:
    """Children of `area` visible to `user`, registered on or before `on` and not closed
    before it."""
    return (
        Child.objects.visible_to(user)
        .filter(region_code__range=prefix_range(area.prefix), created_at__lt=end_of(on))
        .filter(Q(status=Status.ACTIVE) | Q(closed_on__gte=on))
    )


def sub_areas(user: Any, area: Region) -> list[Region]:
    below = BREAKDOWN[Level(area.level)]
    return list(
        Region.objects.visible_to(user)
        .filter(code__range=prefix_range(area.prefix), level=below)
        .order_by("code")
    )


def _by_prefix(
    queryset: QuerySet[Any], code_field: str, length: int, **aggregates: Any
) -> dict[str, dict[str, Any]]:
    rows = (
        queryset.annotate(area_prefix=Substr(code_field, 1, length))
        .values("area_prefix")
        .annotate(**aggregates)
        .order_by()
    )
    return {row["area_prefix"]: row for row in rows}


class _Book:
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


def _area_label(area: Region) -> str:
    return _("Town/street") if area.level == Level.DISTRICT else _("Village/community")


class StatisticsWorkbook:
    """The sheets, each one method, each a fixed number of queries."""

    def __init__(self, user: Any, area: Region, on: datetime.date) -> None:
        if area.level not in EXPORT_LEVELS:
            raise ValueError("Statistics are exported for a district or a town.")
        self.user = user
        self.area = area
        self.on = on
        self.length = PREFIX_LENGTH[BREAKDOWN[Level(area.level)]]
        self.parts = sub_areas(user, area)
        self.children = population(user, area, on)
        self.book = _Book()

    # --- helpers -------------------------------------------------------------------------

    def _crosstab(
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
        rows = _by_prefix(
            self.children, "region_code", self.length, total=Count("pk"), **aggregates
        )
        keys = [*aggregates, "total"]
        if not first:
            self.book.blank()
        self.book.header([title])
        self.book.header([_area_label(self.area), *(label for _v, label in choices), _("Total")])
        for part in self.parts:
            row = rows.get(part.prefix, {})
            self.book.row([part.name, *(row.get(k, 0) for k in keys)])
        self.book.row([_("Total"), *(sum(r[k] for r in rows.values()) for k in keys)])

    # --- sheets --------------------------------------------------------------------------

    def about(self, requested_by: str, generated_at: datetime.datetime) -> None:
        book = self.book
        book.new_sheet(_("About this workbook"), (28, 90))
        book.header([_("Statistics workbook")])
        book.row([_("Region"), f"{self.area.name} ({self.area.code})"])
        book.row([_("Date"), self.on.isoformat()])
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

    def categories(self) -> None:
        self.book.new_sheet(_("Children by category"))
        choices = list(Category.choices)
        aggregates: dict[str, Any] = {
            f"c{i}": Count("pk", filter=Q(categories__code=value))
            for i, (value, _l) in enumerate(choices)
        }
        aggregates["none"] = Count("pk", filter=Q(categories__isnull=True))
        aggregates["total"] = Count("pk", distinct=True)
        aggregates["key"] = Count("pk", distinct=True, filter=Q(is_key=True))
        rows = _by_prefix(self.children, "region_code", self.length, **aggregates)
        keys = list(aggregates)
        self.book.header(
            [
                _area_label(self.area),
                *(label for _v, label in choices),
                _("Without a category"),
                _("Children (distinct)"),
                _("Key children"),
            ]
        )
        for part in self.parts:
            row = rows.get(part.prefix, {})
            self.book.row([part.name, *(row.get(k, 0) for k in keys)])
        self.book.row([_("Total"), *(sum(r[k] for r in rows.values()) for k in keys)])

    def gender_age(self) -> None:
        self.book.new_sheet(_("Gender and age"))
        whens = []
        labels = []
        for low, high in AGE_BANDS:
            label = f"{low}-{high}" if high is not None else f"{low}+"
            labels.append(label)
        for (low, _high), label in reversed(list(zip(AGE_BANDS, labels, strict=True))):
            whens.append(When(birth_date__lte=years_before(self.on, low), then=Value(label)))
        band = Case(*whens, default=Value(labels[0]), output_field=CharField())
        counts: dict[tuple[str, str], int] = {
            (row["band"], row["gender"]): row["n"]
            for row in self.children.annotate(band=band)
            .values("band", "gender")
            .annotate(n=Count("pk"))
            .order_by()
        }
        genders = list(Gender.choices)
        self.book.header([_("Age on the date"), *(label for _v, label in genders), _("Total")])
        for label in labels:
            values = [counts.get((label, g), 0) for g, _l in genders]
            self.book.row([_("%(band)s years") % {"band": label}, *values, sum(values)])
        totals = [sum(n for (_b, g), n in counts.items() if g == value) for value, _l in genders]
        self.book.row([_("Total"), *totals, sum(totals)])

    def guardianship(self) -> None:
        self.book.new_sheet(_("Guardianship"))
        self._crosstab(_("Guardian type"), "guardian_type", list(GuardianType.choices))
        self._crosstab(
            _("Guardianship quality"),
            "guardianship_quality",
            list(GuardianshipQuality.choices),
            first=False,
        )

    def schooling(self) -> None:
        self.book.new_sheet(_("Schooling"))
        self._crosstab(_("Schooling"), "schooling", list(Schooling.choices))
        self._crosstab(_("Boarding"), "boarding", [(True, _("Boarding"))], first=False)

    def compliance(self) -> None:
        self.book.new_sheet(_("Visit compliance"))
        figures = visit_selectors.area_compliance(self.user, self.area, self.on)
        self.book.header(
            [
                _area_label(self.area),
                _("Active children"),
                _("Contacted this month"),
                _("Contact compliance (%)"),
                _("Visited at home this quarter"),
                _("Home-visit compliance (%)"),
            ]
        )
        for part in [*figures["parts"], {"region": None, **figures["total"]}]:
            name = part["region"].name if part["region"] is not None else _("Total")
            self.book.row(
                [
                    name,
                    part["total"],
                    part["contacted"],
                    part["month_pct"],
                    part["home_visited"],
                    part["quarter_pct"],
                ]
            )

    def reports(self) -> None:
        self.book.new_sheet(_("Mandatory reports"))
        reports = MandatoryReport.objects.visible_to(self.user).filter(
            region_code__range=prefix_range(self.area.prefix), created_at__lt=end_of(self.on)
        )
        situations = list(Situation.choices)
        stages = list(Stage.choices)
        per_stage = {
            row["stage"]: row
            for row in reports.values("stage")
            .annotate(
                total=Count("pk"),
                **{
                    f"s{i}": Count("pk", filter=Q(situations__icontains=f'"{value}"'))
                    for i, (value, _l) in enumerate(situations)
                },
            )
            .order_by()
        }
        self.book.header([_("Situation"), *(label for _v, label in stages), _("Total")])
        for i, (_value, label) in enumerate(situations):
            values = [per_stage.get(stage, {}).get(f"s{i}", 0) for stage, _l in stages]
            self.book.row([label, *values, sum(values)])
        totals = [per_stage.get(stage, {}).get("total", 0) for stage, _l in stages]
        self.book.row([_("Reports (distinct)"), *totals, sum(totals)])

        overdue = Q(next_due_at__lt=end_of(self.on)) & ~Q(stage=Stage.CLOSED)
        aggregates: dict[str, Any] = {
            f"t{i}": Count("pk", filter=Q(stage=value)) for i, (value, _l) in enumerate(stages)
        }
        aggregates["total"] = Count("pk")
        aggregates["overdue"] = Count("pk", filter=overdue)
        rows = _by_prefix(reports, "region_code", self.length, **aggregates)
        keys = list(aggregates)
        self.book.blank()
        self.book.header(
            [
                _area_label(self.area),
                *(label for _v, label in stages),
                _("Total"),
                _("Open with an overdue step"),
            ]
        )
        for part in self.parts:
            row = rows.get(part.prefix, {})
            self.book.row([part.name, *(row.get(k, 0) for k in keys)])
        self.book.row([_("Total"), *(sum(r[k] for r in rows.values()) for k in keys)])

    def assistance(self) -> None:
        self.book.new_sheet(_("Assistance"))
        records = Assistance.objects.filter(
            scoping.get_scope(self.user).q("child__region_code"),
            child__region_code__range=prefix_range(self.area.prefix),
            started_on__lte=self.on,
        )
        statuses = list(AssistanceStatus.choices)
        in_force = Q(status=AssistanceStatus.GRANTED) & (
            Q(ended_on__isnull=True) | Q(ended_on__gte=self.on)
        )
        rows = {
            row["kind"]: row
            for row in records.values("kind")
            .annotate(
                **{
                    f"s{i}": Count("pk", filter=Q(status=value))
                    for i, (value, _l) in enumerate(statuses)
                },
                in_force=Count("pk", filter=in_force),
                children=Count("child", filter=in_force, distinct=True),
                amount=Sum("amount", filter=in_force),
            )
            .order_by()
        }
        keys = [*(f"s{i}" for i in range(len(statuses))), "in_force", "children", "amount"]
        self.book.header(
            [
                _("Type of assistance"),
                *(label for _v, label in statuses),
                _("In force on the date"),
                _("Children receiving it"),
                _("Amount in force (yuan)"),
            ]
        )
        for kind, label in AssistanceType.choices:
            row = rows.get(kind, {})
            values = [row.get(k) or 0 for k in keys]
            values[-1] = float(values[-1])
            self.book.row([label, *values])
        totals = [sum((r.get(k) or 0) for r in rows.values()) for k in keys]
        totals[-1] = float(totals[-1])
        totals[-2] = records.filter(in_force).values("child").distinct().count()
        self.book.row([_("Total (children counted once)"), *totals])

    def staff(self) -> None:
        self.book.new_sheet(_("Staff and training"), (24, 12, 12, 30, 12, 12, 12))
        on = self.on
        district = self.area if self.area.level == Level.DISTRICT else self.area.parent
        if district is None:
            raise ValueError("A town without its district.")
        training = training_selectors.coverage(district, on.year, on)
        by_town = {t.town.code[:9]: t for t in training.towns}
        gaps = org_selectors.coverage_gaps(self.user, on)
        if self.area.level == Level.DISTRICT:
            towns = org_selectors.towns_overview(self.user, [self.area], on)
            self.book.header(
                [
                    _("Town/street"),
                    _("Villages"),
                    _("Villages without a director"),
                    _("Supervisors"),
                    _("Directors and supervisors"),
                    _("Trained this year"),
                    _("Trained (%)"),
                ]
            )
            sums = [0, 0, 0, 0]
            for town in towns:
                cover = by_town.get(town.prefix)
                workers = cover.workers if cover else 0
                trained = cover.trained if cover else 0
                holders = "、".join(a.user.real_name or a.user.username for a in town.holders)  # type: ignore[attr-defined]
                values = [town.village_count, town.villages_without_director, workers, trained]  # type: ignore[attr-defined]
                sums = [s + v for s, v in zip(sums, values, strict=True)]
                self.book.row(
                    [town.name, *values[:2], holders or "—", *values[2:], pct(trained, workers)]
                )
            self.book.row([_("Total"), *sums[:2], "", *sums[2:], pct(sums[3], sums[2])])
            in_area = list(training.towns)
        else:
            villages = org_selectors.villages_overview(self.user, [self.area], on)
            supervisors = org_selectors.town_contacts([self.area], on)[self.area.pk]
            cover = by_town.get(self.area.prefix)
            self.book.header(
                [
                    _("Town/street"),
                    _("Supervisors"),
                    _("Directors and supervisors"),
                    _("Trained this year"),
                    _("Trained (%)"),
                ]
            )
            workers = cover.workers if cover else 0
            trained = cover.trained if cover else 0
            self.book.row(
                [
                    self.area.name,
                    "、".join(a.user.real_name or a.user.username for a in supervisors) or "—",
                    workers,
                    trained,
                    pct(trained, workers),
                ]
            )
            self.book.blank()
            self.book.header([_("Village/community"), _("Directors"), _("Names")])
            for village in villages:
                holders = village.holders  # type: ignore[attr-defined]
                names = "、".join(a.user.real_name or a.user.username for a in holders)
                self.book.row([village.name, len(holders), names or "—"])
            in_area = [cover] if cover else []

        self.book.blank()
        self.book.header([_("Regions without a worker"), _("Level")])
        uncovered = [*gaps.towns_without_supervisor, *gaps.villages_without_director]
        for region in sorted(uncovered, key=lambda r: r.code):
            if region.code.startswith(self.area.prefix):
                parent = f"{region.parent.name} · " if region.parent else ""
                self.book.row([f"{parent}{region.name}", region.get_level_display()])

        self.book.blank()
        self.book.header([_("Not trained this year"), _("Role"), _("Region")])
        for town_cover in in_area:
            for assignment in town_cover.untrained:
                self.book.row(
                    [
                        assignment.user.real_name or assignment.user.username,
                        assignment.get_role_display(),
                        assignment.region.name,
                    ]
                )

    SHEETS: tuple[str, ...] = (
        "categories",
        "gender_age",
        "guardianship",
        "schooling",
        "compliance",
        "reports",
        "assistance",
        "staff",
    )


def build_statistics_workbook(
    *,
    user: Any,
    area: Region,
    on: datetime.date,
    out: str | IO[bytes],
    progress: Progress | None = None,
    now: datetime.datetime | None = None,
) -> WorkbookResult:
    """Write the statistics workbook of `area` (a district or a town) on `on` to `out`, as
    `user` sees it, reporting progress after each sheet."""
    workbook = StatisticsWorkbook(user, area, on)
    workbook.about(user.get_full_name(), now or clock.now())
    steps = len(StatisticsWorkbook.SHEETS)
    for done, name in enumerate(StatisticsWorkbook.SHEETS, start=1):
        getattr(workbook, name)()
        if progress is not None:
            progress(round(95 * done / steps), name)
    workbook.book.save(out)
    if progress is not None:
        progress(100, "saved")
    return WorkbookResult(sheets=workbook.book.sheets, rows=workbook.book.rows)
