"""Writing the snapshots of the dashboard figures (one row per region and day, rewritten every
STATS_SNAPSHOT_MINUTES through the day)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from core.regions import PREFIX_LENGTH, Level, district_prefix, scope_prefix
from core.scoping import Scope
from org.models import Region
from stats.figures import empty_figures, roll_up, village_figures
from stats.models import RegionSnapshot

SNAPSHOT_LEVELS = (Level.DISTRICT, Level.TOWN, Level.VILLAGE)


def system_scope() -> Scope:
    """The reach of the snapshot task: every district (the task serves all regions, no user)."""
    codes = Region.objects.filter(level=Level.DISTRICT).values_list("code", flat=True)
    return Scope.of_prefixes(district_prefix(code) for code in codes)


def snapshot_regions(*, today: datetime.date, now: datetime.datetime) -> int:
    """Store today's figures of every village, town and district as of `now` (taken_at): one
    aggregate pass over the children, categories and open reports (grouped by village, rolled
    up over the village rows), then one upsert per batch in one transaction. Running it twice
    on the same day rewrites the same rows (unique region + date). Returns the number of
    regions written."""
    scope = system_scope()
    by_village = village_figures(scope, "", today, now)
    by_level: dict[str, dict[str, dict[str, Any]]] = {
        Level.VILLAGE: by_village,
        Level.TOWN: roll_up(by_village, PREFIX_LENGTH[Level.TOWN]),
        Level.DISTRICT: roll_up(by_village, PREFIX_LENGTH[Level.DISTRICT]),
    }
    regions = (
        Region.objects.in_scope(scope)
        .filter(level__in=SNAPSHOT_LEVELS)
        .values_list("pk", "code", "level")
    )
    rows = [
        RegionSnapshot(
            region_id=pk,
            date=today,
            figures=by_level[level].get(scope_prefix(code, level), empty_figures()),
            taken_at=now,
        )
        for pk, code, level in regions
    ]
    with transaction.atomic():
        RegionSnapshot.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["region", "date"],
            update_fields=["figures", "taken_at"],
        )
    return len(rows)
