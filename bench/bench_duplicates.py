"""CareCase benchmark: one child, one record (issue 16, section 3).

    make bench                                     # part of the bench target
    BENCH_DUPLICATES_CHILDREN=1000000 .venv/bin/python bench/bench_duplicates.py

Fills (or reuses) the bench population (bench/population.py: BENCH_DUPLICATES_CHILDREN active
children, by default 1,000,000 on PostgreSQL and 100,000 on SQLite) in the bench database
(SQLite in var/bench, or BENCH_DATABASE_URL). The synthetic children all carry valid ID
numbers, and two valid ID numbers are never a likely pair, so inside one transaction that is
rolled back at the end the bench makes the work real:
- BENCH_NO_ID_SHARE (default 5%) of the children lose their ID number (unregistered hukou,
  a mistyped number), and
- BENCH_PLANTED (default 1%) get a second archive without an ID: the same date of birth, the
  same village and guardian, the name with one character replaced.
Then it measures:
- the district's list as the background job runs it (duplicates.jobs.run_listing: the
  claim, the read with progress, the pairs written, the access log): seconds (median of
  BENCH_REPEAT runs, default 3), pairs found, planted pairs found, peak memory;
- the check at registration (children.duplicates.likely_duplicates) for 100 drafts (the
  planted second archives as a registration would send them), as the district's civil
  affairs (the widest scope) and as the village's director: median and 95th percentile in
  ms, queries of one check. Targets: the list < 60 s at 1,000,000, the check < 200 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import USERNAME, configure, max_rss_mb

LIST_TARGET_S = 60
CHECK_TARGET_MS = 200
REPLACEMENT = "欣"  # the character a planted duplicate's name gets in place of its last one


class Rollback(Exception):
    pass


def _plant(
    district: str, no_id_share: float, planted_share: float
) -> tuple[int, list[tuple[int, int]]]:
    """Strip ID numbers and insert second archives (in the caller's transaction). Returns the
    number of IDs stripped and the (child, its second archive) pairs planted."""
    from django.db.models import F

    from children.models import Child
    from children.registration import pinyin_keys

    active = Child.objects.filter(region_code__startswith=district, status="active")
    every = max(round(1 / no_id_share), 1) if no_id_share else 0
    stripped = (
        active.annotate(m=F("pk") % every)
        .filter(m=0)
        .update(id_hash=None, id_cipher="", id_masked="")
        if every
        else 0
    )
    step = max(round(1 / planted_share), 1)
    sources = list(active.annotate(m=F("pk") % step).filter(m=1))
    copies = []
    for child in sources:
        copy = Child(
            **{
                f.attname: getattr(child, f.attname)
                for f in Child._meta.concrete_fields
                if f.attname not in ("id", "client_token", "created_at", "updated_at")
            }
        )
        copy.name = child.name[:-1] + (REPLACEMENT if child.name[-1] != REPLACEMENT else "悦")
        copy.id_hash, copy.id_cipher, copy.id_masked = None, "", ""
        copy.name_pinyin, copy.name_initials = pinyin_keys(copy.name)
        copies.append(copy)
    Child.objects.bulk_create(copies, batch_size=2000)
    return stripped, [
        (min(a.pk, b.pk), max(a.pk, b.pk)) for a, b in zip(sources, copies, strict=True)
    ]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def measure(district: str, repeat: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from children import duplicates
    from children.models import Child
    from core.regions import district_code
    from duplicates.jobs import run_listing
    from duplicates.models import DuplicateList
    from org.models import Region, User

    civil = User.objects.get(username=USERNAME)
    region = Region.objects.get(code=district_code(district))
    no_id_share = float(os.environ.get("BENCH_NO_ID_SHARE", "0.05"))
    planted_share = float(os.environ.get("BENCH_PLANTED", "0.01"))
    out: dict[str, Any] = {}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            stripped, planted = _plant(district, no_id_share, planted_share)
            out["setup_s"] = time.perf_counter() - started
            out["stripped"], out["planted"] = stripped, len(planted)
            baseline = max_rss_mb()
            runs = []
            for _ in range(repeat):
                listing = DuplicateList.objects.create(district=region, requested_by=civil)
                started = time.perf_counter()
                listing = run_listing(listing.pk)
                runs.append(time.perf_counter() - started)
                if listing is None or listing.status != "done":
                    raise RuntimeError(f"the list did not finish: {listing and listing.message}")
            out["list_s"] = runs
            out["list_peak_mb"], out["list_baseline_mb"] = max_rss_mb(), baseline
            out["children_read"] = listing.children_read
            out["pairs"] = listing.pair_count
            pairs = set(listing.pairs.values_list("first_id", "second_id"))
            out["planted_found"] = sum(pair in pairs for pair in planted)
            copies = [max(pair) for pair in planted[:: max(len(planted) // 100, 1)]][:100]
            samples = list(Child.objects.filter(pk__in=copies).prefetch_related("parents"))
            drafts = [
                duplicates.draft(
                    name=c.name,
                    birth_date=c.birth_date,
                    village_id=c.village_id,
                    carer_name=c.carer_name,
                    phones=[c.carer_phone, *(p.phone for p in c.parents.all())],
                )
                for c in samples
            ]
            for label, user_of in (
                ("civil affairs (district)", lambda c: civil),
                ("village director", lambda c: _director(c.region_code)),
            ):
                times = []
                found = 0
                users = [user_of(c) for c in samples]
                for user in users:  # warm the scope cache
                    duplicates.likely_duplicates(user, drafts[0])
                for user, d in zip(users, drafts, strict=True):
                    started = time.perf_counter()
                    found += bool(duplicates.likely_duplicates(user, d))
                    times.append((time.perf_counter() - started) * 1000)
                with CaptureQueriesContext(connection) as queries:
                    duplicates.likely_duplicates(users[0], drafts[0])
                out[f"check {label}"] = {
                    "median_ms": statistics.median(times) if times else 0.0,
                    "p95_ms": _percentile(times, 0.95) if times else 0.0,
                    "queries": len(queries.captured_queries),
                    "found": found,
                    "drafts": len(drafts),
                }
            raise Rollback
    except Rollback:
        pass
    return out


_DIRECTORS: dict[str, Any] = {}


def _director(code: str) -> Any:
    from org.models import User

    if code not in _DIRECTORS:
        _DIRECTORS[code] = User.objects.get(username=f"bench_child_director_{code}")
    return _DIRECTORS[code]


def main() -> None:
    configure()
    from django.db import connection
    from population import ensure_population

    default = "1000000" if connection.vendor == "postgresql" else "100000"
    wanted = int(os.environ.get("BENCH_DUPLICATES_CHILDREN", default))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    info = ensure_population(children=wanted)
    print(info.summary())
    result = measure(info.district, repeat)
    median = statistics.median(result["list_s"])
    print()
    print(
        f"One child, one record: {result['children_read']:,} archives in {info.district} "
        f"({connection.vendor}); {result['stripped']:,} without an ID number, "
        f"{result['planted']:,} planted second archives (setup {result['setup_s']:.1f} s)"
    )
    verdict = "ok" if median < LIST_TARGET_S else f">{LIST_TARGET_S} s"
    delta = result["list_peak_mb"] - result["list_baseline_mb"]
    print(
        f"district list (job): median {median:.1f} s of {len(result['list_s'])} "
        f"({', '.join(f'{s:.1f}' for s in result['list_s'])}); {result['pairs']:,} pairs, "
        f"{result['planted_found']:,}/{result['planted']:,} planted found; peak RSS "
        f"{result['list_peak_mb']:.0f} MB (Δ {delta:.0f} MB)  {verdict}"
    )
    for key, value in result.items():
        if key.startswith("check "):
            ok = "ok" if value["p95_ms"] < CHECK_TARGET_MS else f">{CHECK_TARGET_MS} ms"
            print(
                f"registration check, {key[6:]}: median {value['median_ms']:.1f} ms, p95 "
                f"{value['p95_ms']:.1f} ms, {value['queries']} queries, "
                f"{value['found']}/{value['drafts']} drafts with candidates  {ok}"
            )


if __name__ == "__main__":
    main()
