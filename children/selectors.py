"""Reading the archive: the scoped, filtered and sorted list every page, export and API
endpoint shares (the child's timeline is casefile.timeline)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.fields.array import ArrayContains  # type: ignore[attr-defined]
from django.db import connections
from django.db.models import Count, F, Func, Q, QuerySet, TextField, Value

from children import crypto, idnumber
from children.choices import Status
from children.models import AccessLog, Child
from core import clock, scoping
from core.regions import CODE_LENGTH, Level, infer_level, prefix_code, prefix_range, scope_prefix
from org.models import Region, User

# Sort keys offered by lists (each backed by an index with region_code first).
SORTS = {
    "name": ("name_pinyin", "pk"),
    "-name": ("-name_pinyin", "-pk"),
    "birth": ("birth_date", "pk"),
    "-birth": ("-birth_date", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
    "village": ("region_code", "name_pinyin", "pk"),
}
DEFAULT_SORT = "village"
_LATIN = re.compile(r"^[a-zA-Z]+$")
_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")


@dataclass(frozen=True)
class ChildFilter:
    q: str = ""
    region: str = ""  # a town or village code inside the user's scope
    category: str = ""
    status: str = ""
    key: str = ""  # "1" key children only, "0" others
    sort: str = DEFAULT_SORT
    # Drill-downs of the dashboards (stats): active children overdue for a "contact" or a
    # "home_visit" (stored due date before today), and the visit-compliance rule of
    # visits.selectors: "contacted" / "not_contacted" this month, "home_visited" /
    # "not_home_visited" this quarter.
    overdue: str = ""
    visited: str = ""
    today: datetime.date | None = None


OVERDUE_FILTERS = {"contact": "next_contact_due__lt", "home_visit": "next_home_visit_due__lt"}
VISITED_FILTERS = ("contacted", "not_contacted", "home_visited", "not_home_visited")


def _visit_filters(queryset: QuerySet[Child], flt: ChildFilter) -> QuerySet[Child]:
    from visits.selectors import contacted_q, home_visited_q

    today = flt.today or clock.today()
    if flt.overdue in OVERDUE_FILTERS:
        lookup = OVERDUE_FILTERS[flt.overdue]
        queryset = queryset.filter(status=Status.ACTIVE, **{lookup: today})
    if flt.visited in VISITED_FILTERS:
        condition = contacted_q(today) if "contacted" in flt.visited else home_visited_q(today)
        if flt.visited.startswith("not_"):
            condition = ~condition
        queryset = queryset.filter(condition, status=Status.ACTIVE)
    return queryset


def search(queryset: QuerySet[Child], text: str) -> QuerySet[Child]:
    """By exact ID number (via the keyed hash), by 汉字 name, by full pinyin (prefix) or by
    pinyin initials (prefix)."""
    text = text.strip()
    if not text:
        return queryset
    if _ID_LIKE.match(text):
        return queryset.filter(id_hash=crypto.lookup_hash(idnumber.normalize(text)))
    if _LATIN.match(text):
        lowered = text.lower()
        return queryset.filter(
            Q(name_pinyin__startswith=lowered) | Q(name_initials__startswith=lowered)
        )
    return queryset.filter(name_q(queryset.db, text))


TEXT_ARRAY: ArrayField[list[str], list[str]] = ArrayField(TextField())
# Longest query served by the characters-and-pairs index of migration 0012 (PostgreSQL).
NAME_GRAM_MAX = 2


def name_q(alias: str, text: str) -> Q:
    """汉字 name containing `text`. On PostgreSQL a query of one or two characters is looked up
    in the GIN index over `carecase_name_grams(name)` (every substring that short is one of
    the name's grams, so the condition is exact); longer ones use the trigram index through
    `LIKE '%text%'`. Elsewhere a plain LIKE."""
    if connections[alias].vendor == "postgresql" and len(text) <= NAME_GRAM_MAX:
        grams = Func(F("name"), function="carecase_name_grams", output_field=TEXT_ARRAY)
        return Q(ArrayContains(grams, Value([text], output_field=TEXT_ARRAY)))
    return Q(name__contains=text)


def archive_summary(user: User) -> dict[str, int]:
    """Counts of the archives in the user's scope (active, key, awaiting an age review), in
    one aggregate query."""
    return Child.objects.visible_to(user).aggregate(
        active=Count("pk", filter=Q(status=Status.ACTIVE)),
        key=Count("pk", filter=Q(status=Status.ACTIVE, is_key=True)),
        age_review=Count("pk", filter=Q(status=Status.ACTIVE, age_review_due=True)),
    )


def filter_regions(user: User) -> list[Region]:
    """Districts, towns and villages a user may filter the child list by: those inside their
    scope."""
    scope = scoping.get_scope(user)
    levels = [Level.DISTRICT, Level.TOWN, Level.VILLAGE]
    regions = Region.objects.in_scope(scope).filter(level__in=levels)
    return list(regions.order_by("code").only("code", "name", "level"))


def age_review_children(user: User) -> QuerySet[Child]:
    """Active children `user` may see who reached an age limit (R10), oldest first."""
    return (
        Child.objects.visible_to(user)
        .filter(status=Status.ACTIVE, age_review_due=True)
        .select_related("village")
        .prefetch_related("categories")
        .order_by("birth_date", "pk")
    )


def access_log_for(
    scope: Any,
    *,
    user: str = "",
    action: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AccessLog]:
    """The access log an auditor of `scope` reads, newest first: rows about a child in the
    audited regions, and exports or imports by staff those regions manage; by `user`
    (username or real name), `action` and days from `since` to `until` when given."""
    rows = AccessLog.objects.filter(
        scope.q("child__region_code")
        | (Q(child__isnull=True) & scope.q("user__managing_district__code"))
    ).select_related("user", "child__village")
    if user:
        rows = rows.filter(Q(user__username=user) | Q(user__real_name=user))
    if action:
        rows = rows.filter(action=action)
    if since:
        rows = rows.filter(at__date__gte=since)
    if until:
        rows = rows.filter(at__date__lte=until)
    return rows.order_by("-at", "-pk")


def children_for(user: User, flt: ChildFilter) -> QuerySet[Child]:
    """The children `user` may see, filtered and sorted; the one entry point of lists,
    exports and the API."""
    queryset: QuerySet[Child] = Child.objects.visible_to(user)
    if flt.region and flt.region.isdigit():
        code = prefix_code(flt.region[:CODE_LENGTH])
        prefix = scope_prefix(code, infer_level(code))
        queryset = queryset.filter(region_code__range=prefix_range(prefix))
    if flt.category:
        queryset = queryset.filter(categories__code=flt.category)
    if flt.status:
        queryset = queryset.filter(status=flt.status)
    if flt.key in ("0", "1"):
        queryset = queryset.filter(is_key=flt.key == "1")
    if flt.overdue or flt.visited:
        queryset = _visit_filters(queryset, flt)
    queryset = search(queryset, flt.q)
    return queryset.order_by(*SORTS.get(flt.sort, SORTS[DEFAULT_SORT]))
