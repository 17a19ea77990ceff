"""The sheets of the statistics workbook about the children: categories, gender and age,
guardianship, schooling."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils.translation import gettext as _

from children.choices import (
    Category,
    Gender,
    GuardianshipQuality,
    GuardianType,
    Schooling,
)
from core.calendar import years_before
from stats.workbook.book import StatisticsWorkbook, area_label, by_prefix

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


def categories(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Children by category"))
    choices = list(Category.choices)
    aggregates: dict[str, Any] = {
        f"c{i}": Count("pk", filter=Q(categories__code=value))
        for i, (value, _l) in enumerate(choices)
    }
    aggregates["none"] = Count("pk", filter=Q(categories__isnull=True))
    aggregates["total"] = Count("pk", distinct=True)
    aggregates["key"] = Count("pk", distinct=True, filter=Q(is_key=True))
    rows = by_prefix(wb.children, "region_code", wb.length, **aggregates)
    keys = list(aggregates)
    wb.book.header(
        [
            area_label(wb.area),
            *(label for _v, label in choices),
            _("Without a category"),
            _("Children (distinct)"),
            _("Key children"),
        ]
    )
    for part in wb.parts:
        row = rows.get(part.prefix, {})
        wb.book.row([part.name, *(row.get(k, 0) for k in keys)])
    wb.book.row([_("Total"), *(sum(r[k] for r in rows.values()) for k in keys)])


def gender_age(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Gender and age"))
    whens = []
    labels = []
    for low, high in AGE_BANDS:
        label = f"{low}-{high}" if high is not None else f"{low}+"
        labels.append(label)
    for (low, _high), label in reversed(list(zip(AGE_BANDS, labels, strict=True))):
        whens.append(When(birth_date__lte=years_before(wb.on, low), then=Value(label)))
    band = Case(*whens, default=Value(labels[0]), output_field=CharField())
    counts: dict[tuple[str, str], int] = {
        (row["band"], row["gender"]): row["n"]
        for row in wb.children.annotate(band=band)
        .values("band", "gender")
        .annotate(n=Count("pk"))
        .order_by()
    }
    genders = list(Gender.choices)
    wb.book.header([_("Age on the date"), *(label for _v, label in genders), _("Total")])
    for label in labels:
        values = [counts.get((label, g), 0) for g, _l in genders]
        wb.book.row([_("%(band)s years") % {"band": label}, *values, sum(values)])
    totals = [sum(n for (_b, g), n in counts.items() if g == value) for value, _l in genders]
    wb.book.row([_("Total"), *totals, sum(totals)])


def guardianship(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Guardianship"))
    wb.crosstab(_("Guardian type"), "guardian_type", list(GuardianType.choices))
    wb.crosstab(
        _("Guardianship quality"),
        "guardianship_quality",
        list(GuardianshipQuality.choices),
        first=False,
    )


def schooling(wb: StatisticsWorkbook) -> None:
    wb.book.new_sheet(_("Schooling"))
    wb.crosstab(_("Schooling"), "schooling", list(Schooling.choices))
    wb.crosstab(_("Boarding"), "boarding", [(True, _("Boarding"))], first=False)
