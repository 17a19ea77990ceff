"""Writing the snapshots of the dashboard figures (one row per region and day, rewritten every
STATS_SNAPSHOT_MINUTES through the day, on deploy, and for one district on request), and the
trend's earlier months that have no snapshot, computed once from the visit dates."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.regions import PREFIX_LENGTH, Level, district_prefix, prefix_range, scope_prefix
from core.replica import replica_reading
from core.scoping import Scope
from org.models import Region
from stats import history
from stats.figures import empty_figures, roll_up, snapshot_minutes, village_figures
from stats.models import RegionSnapshot

logger = logging.getLogger(__name__)
SNAPSHOT_LEVELS = (Level.DISTRICT, Level.TOWN, Level.VILLAGE)
REFRESH_KEY = "stats:refresh:{}"


def system_scope(prefix: str = "") -> Scope:
    """The reach of the snapshot task: every district starting with `prefix` (the task serves
    all regions, no user)."""
    codes = Region.objects.filter(level=Level.DISTRICT, code__range=prefix_range(prefix))
    return Scope.of_prefixes(district_prefix(c) for c in codes.values_list("code", flat=True))


def _by_level(by_village: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        Level.VILLAGE: by_village,
        Level.TOWN: roll_up(by_village, PREFIX_LENGTH[Level.TOWN]),
        Level.DISTRICT: roll_up(by_village, PREFIX_LENGTH[Level.DISTRICT]),
    }


def snapshot_regions(*, today: datetime.date, now: datetime.datetime, prefix: str = "") -> int:
    """Store today's figures of every village, town and district (of the district `prefix`,
    or all of them) as of `now` (taken_at): one aggregate pass over the children, categories,
    open reports, findings and plans (grouped by village, rolled up over the village rows),
    then one upsert per batch in one transaction. Running it twice on the same day rewrites
    the same rows (unique region + date). The trend's earlier months with no row of the
    area are then filled from the visit dates, once (backfill_months). Returns the number of
    regions written."""
    scope = system_scope(prefix)
    with replica_reading():  # the figures as the replica has them: at most its lag behind
        by_level = _by_level(village_figures(scope, prefix, today, now))
    regions = list(
        Region.objects.in_scope(scope)
        .filter(level__in=SNAPSHOT_LEVELS, code__range=prefix_range(prefix))
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
    backfill_months(scope, regions, today)
    return len(rows)


def backfill_months(scope: Scope, regions: list[tuple[int, str, str]], today: datetime.date) -> int:
    """For each of the trend's earlier months in which no snapshot of a region was taken
    (before the task first ran, or a gap), store a row for the region dated the month's last
    day, with the month's compliance computed from the visit dates
    (history.visits_by_village: two grouped queries for all such months), marked
    "source": "visits", and no `taken_at` (it was never the figures of a moment). Done once:
    the next run finds the rows. Returns the rows written."""
    starts = history.month_starts(today)[:-1]
    districts = [(pk, code) for pk, code, level in regions if level == Level.DISTRICT]
    if not districts:
        return 0
    have = RegionSnapshot.objects.filter(
        region_id__in=[pk for pk, _code, _level in regions],
        date__gte=starts[0],
        date__lt=history.month_starts(today)[-1],
    ).values_list("region_id", "date")
    covered = {(pk, day.replace(day=1)) for pk, day in have}
    written = 0
    for _district_pk, code in districts:
        prefix = district_prefix(code)
        inside = [r for r in regions if r[1].startswith(prefix)]
        missing = [s for s in starts if any((r[0], s) not in covered for r in inside)]
        if not missing:
            continue
        rows = []
        for start, by_village in history.visits_by_village(scope, prefix, missing).items():
            by_level = _by_level(by_village)
            rows += [
                RegionSnapshot(
                    region_id=region_pk,
                    date=history.month_end(start),
                    figures={
                        **by_level[level].get(scope_prefix(region_code, level), empty_figures()),
                        "source": "visits",
                    },
                    taken_at=None,
                )
                for region_pk, region_code, level in inside
                if (region_pk, start) not in covered
            ]
        with transaction.atomic():
            RegionSnapshot.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        written += len(rows)
    return written


def request_refresh(code: str, today: datetime.date, now: datetime.datetime) -> bool:
    """Ask for a new snapshot of the district containing `code` (a dashboard found its
    snapshot missing or not fresh): queued once per snapshot interval and district, after the
    request's transaction commits. With no worker (tasks run eagerly: the test settings) the
    snapshot is taken here, as of `today` and `now`. Returns whether it was taken here (the
    caller re-reads)."""
    district = district_prefix(code)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        snapshot_regions(today=today, now=now, prefix=district)
        return True
    if not cache.add(REFRESH_KEY.format(district), 1, timeout=snapshot_minutes() * 60):
        return False
    from stats.tasks import snapshot_district

    transaction.on_commit(lambda: snapshot_district.delay(district))
    logger.info("Dashboard snapshot of district %s requested", district)
    return False
