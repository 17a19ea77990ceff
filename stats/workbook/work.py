"""The sheets of the statistics workbook about the work: visit compliance, mandatory
reports, assistance, staff and training."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from children.choices import (
    AssistanceStatus,
    AssistanceType,
)
from children.models import Assistance
from core import clock, scoping
from core.calendar import pct
from core.regions import Level, prefix_range, town_prefix
from org import selectors as org_selectors
from reports.models import MandatoryReport, Situation, Stage
from stats.figures import roll_up, stored_village_figures
from stats.workbook.book import StatisticsWorkbook, area_label, by_prefix, end_of
from training import selectors as training_selectors
from visits import selectors as visit_selectors


def _compliance_figures(wb: StatisticsWorkbook) -> tuple[dict[str, Any], datetime.datetime | None]:
    """The compliance of the workbook's area: for today, from the dashboards' snapshot while
    it is fresh (the same counts, `visits.selectors.compliance_aggregates`, stored per
    village: at 1,000,000 children the live aggregate over every child's visits took 19.5 s);
    otherwise live. Returns the figures and when the snapshot was taken (None: live)."""
    today = clock.today()
    if wb.on == today:
        stored = stored_village_figures(scoping.get_scope(wb.user), wb.area, today, clock.now())
        if stored.fresh:
            counts = roll_up(stored.by_village, wb.length)
            return visit_selectors.compliance_breakdown(wb.area, counts), stored.taken_at
    return visit_selectors.area_compliance(wb.user, wb.area, wb.on), None


def compliance(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Visit compliance"))
    figures, taken_at = _compliance_figures(wb)
    wb.book.header(
        [
            area_label(wb.area),
            _("Active children"),
            _("Contacted this month"),
            _("Contact compliance (%)"),
            _("Visited at home this quarter"),
            _("Home-visit compliance (%)"),
        ]
    )
    for part in [*figures["parts"], {"region": None, **figures["total"]}]:
        name = part["region"].name if part["region"] is not None else _("Total")
        wb.book.row(
            [
                name,
                part["total"],
                part["contacted"],
                part["month_pct"],
                part["home_visited"],
                part["quarter_pct"],
            ]
        )
    if taken_at is not None:
        wb.book.blank()
        wb.book.row(
            [
                _("As counted by the dashboards at %(time)s.")
                % {
                    "time": formats.date_format(
                        timezone.localtime(taken_at), "SHORT_DATETIME_FORMAT"
                    )
                }
            ]
        )


def reports(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Mandatory reports"))
    reports = MandatoryReport.objects.visible_to(wb.user).filter(
        region_code__range=prefix_range(wb.area.prefix), created_at__lt=end_of(wb.on)
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
    wb.book.header([_("Situation"), *(label for _v, label in stages), _("Total")])
    for i, (_value, label) in enumerate(situations):
        values = [per_stage.get(stage, {}).get(f"s{i}", 0) for stage, _l in stages]
        wb.book.row([label, *values, sum(values)])
    totals = [per_stage.get(stage, {}).get("total", 0) for stage, _l in stages]
    wb.book.row([_("Reports (distinct)"), *totals, sum(totals)])

    overdue = Q(next_due_at__lt=end_of(wb.on)) & ~Q(stage=Stage.CLOSED)
    aggregates: dict[str, Any] = {
        f"t{i}": Count("pk", filter=Q(stage=value)) for i, (value, _l) in enumerate(stages)
    }
    aggregates["total"] = Count("pk")
    aggregates["overdue"] = Count("pk", filter=overdue)
    rows = by_prefix(reports, "region_code", wb.length, **aggregates)
    keys = list(aggregates)
    wb.book.blank()
    wb.book.header(
        [
            area_label(wb.area),
            *(label for _v, label in stages),
            _("Total"),
            _("Open with an overdue step"),
        ]
    )
    for part in wb.parts:
        row = rows.get(part.prefix, {})
        wb.book.row([part.name, *(row.get(k, 0) for k in keys)])
    wb.book.row([_("Total"), *(sum(r[k] for r in rows.values()) for k in keys)])


def assistance(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Assistance"))
    records = Assistance.objects.filter(
        scoping.get_scope(wb.user).q("child__region_code"),
        child__region_code__range=prefix_range(wb.area.prefix),
        started_on__lte=wb.on,
    )
    statuses = list(AssistanceStatus.choices)
    in_force = Q(status=AssistanceStatus.GRANTED) & (
        Q(ended_on__isnull=True) | Q(ended_on__gte=wb.on)
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
    wb.book.header(
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
        wb.book.row([label, *values])
    totals = [sum((r.get(k) or 0) for r in rows.values()) for k in keys]
    totals[-1] = float(totals[-1])
    totals[-2] = records.filter(in_force).values("child").distinct().count()
    wb.book.row([_("Total (children counted once)"), *totals])


def trained_rate(trained: int, workers: int) -> float | str:
    """The 培训率 cell: the share in percent, or "—" where nobody is appointed (a town
    without staff has 0 trained and no rate, never an empty cell)."""
    rate = pct(trained, workers)
    return "—" if rate is None else rate


def staff(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Staff and training"), (24, 12, 12, 30, 12, 12, 12))
    on = wb.on
    district = wb.area if wb.area.level == Level.DISTRICT else wb.area.parent
    if district is None:
        raise ValueError("A town without its district.")
    training = training_selectors.coverage(district, on.year, on)
    by_town = {town_prefix(t.town.code): t for t in training.towns}
    gaps = org_selectors.coverage_gaps(wb.user, on)
    if wb.area.level == Level.DISTRICT:
        towns = org_selectors.towns_overview(wb.user, [wb.area], on)
        wb.book.header(
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
            wb.book.row(
                [
                    town.name,
                    *values[:2],
                    holders or "—",
                    *values[2:],
                    trained_rate(trained, workers),
                ]
            )
        wb.book.row([_("Total"), *sums[:2], "", *sums[2:], trained_rate(sums[3], sums[2])])
        in_area = list(training.towns)
    else:
        villages = org_selectors.villages_overview(wb.user, [wb.area], on)
        supervisors = org_selectors.town_contacts([wb.area], on)[wb.area.pk]
        cover = by_town.get(wb.area.prefix)
        wb.book.header(
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
        wb.book.row(
            [
                wb.area.name,
                "、".join(a.user.real_name or a.user.username for a in supervisors) or "—",
                workers,
                trained,
                trained_rate(trained, workers),
            ]
        )
        wb.book.blank()
        wb.book.header([_("Village/community"), _("Directors"), _("Names")])
        for village in villages:
            holders = village.holders  # type: ignore[attr-defined]
            names = "、".join(a.user.real_name or a.user.username for a in holders)
            wb.book.row([village.name, len(holders), names or "—"])
        in_area = [cover] if cover else []

    wb.book.blank()
    wb.book.header([_("Regions without a worker"), _("Level")])
    uncovered = [*gaps.towns_without_supervisor, *gaps.villages_without_director]
    for region in sorted(uncovered, key=lambda r: r.code):
        if region.code.startswith(wb.area.prefix):
            parent = f"{region.parent.name} · " if region.parent else ""
            wb.book.row([f"{parent}{region.name}", region.get_level_display()])

    wb.book.blank()
    wb.book.header([_("Not trained this year"), _("Role"), _("Region")])
    for town_cover in in_area:
        for assignment in town_cover.untrained:
            wb.book.row(
                [
                    assignment.user.real_name or assignment.user.username,
                    assignment.get_role_display(),
                    assignment.region.name,
                ]
            )
