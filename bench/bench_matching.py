"""CareCase benchmark: matching a department list against the archive (issue 16).

    make bench                                   # SQLite in var/bench, or BENCH_DATABASE_URL
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecase_bench \
        .venv/bin/python bench/bench_matching.py # 1,000,000 children, a 200,000-row list
    BENCH_MATCH_CHILDREN=100000 BENCH_MATCH_ROWS=20000 …   # smaller sizes

The population is bench/population.py's (ensure_population: BENCH_MATCH_CHILDREN active
children, default 1,000,000 on PostgreSQL and 100,000 on SQLite). A list of BENCH_MATCH_ROWS
rows (default 200,000; 20,000 on SQLite) is written as a GB18030 CSV from the archive itself:
70% of rows carry a child's ID number, 12% only the name, birth date and village (one in four
of those with one character changed), 3% an invalid ID, 15% children not in the archive. Each
of BENCH_MATCH_REPEAT runs (default 3) measures, in a fresh process so that ru_maxrss is the
match's own:

- the dry run (matching.services.list_dry_run: read, check every row, count ID matches);
- the import end to end (matching.services.list_import: read again, staged with bulk_create
  in chunks, exact match in one UPDATE, the name match, findings written in chunks);

and prints the medians and the peak memory. Targets: the import < 60 s, the dry run < 30 s,
peak memory < 500 MB (1,000,000 children, 200,000 rows, on PostgreSQL).
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import BENCH_DIR, USERNAME, configure
from figures import record

LIST_PATH = BENCH_DIR / "education-list.csv"


def _sizes() -> tuple[int, int]:
    postgres = os.environ.get("BENCH_DATABASE_URL", "").startswith("postgres")
    children = int(os.environ.get("BENCH_MATCH_CHILDREN", 1_000_000 if postgres else 100_000))
    rows = int(os.environ.get("BENCH_MATCH_ROWS", 200_000 if postgres else 20_000))
    return children, rows


def write_list(rows: int, district_code: str) -> dict[str, int]:
    """The list as a GB18030 CSV made from the archive (see the module's docstring)."""
    from children import crypto
    from children.models import Child

    rng = random.Random(16)  # noqa: S311 - synthetic rows
    prefix = district_code[:6]
    total = Child.objects.filter(region_code__startswith=prefix).count()
    wanted = min(rows, total)
    step = max(total // max(wanted, 1), 1)
    picked = (
        Child.objects.filter(region_code__startswith=prefix)
        .order_by("pk")
        .values_list("name", "id_cipher", "birth_date", "village__name")
    )
    out = io.StringIO()
    out.write("姓名,身份证号码,出生日期,村（社区）,类型,学校\n")
    counts = {"id": 0, "name": 0, "invalid": 0, "unregistered": 0}
    written = 0
    for index, (name, cipher, born, village) in enumerate(picked.iterator(chunk_size=5000)):
        if written >= rows:
            break
        if index % step:
            continue
        draw = rng.random()
        status = "辍学" if rng.random() < 0.6 else "长期缺课"
        village = village.removesuffix("居民委员会").removesuffix("村民委员会")
        if draw < 0.70:
            number = crypto.decrypt(cipher)
            out.write(f"{name},{number},,{village},{status},\n")
            counts["id"] += 1
        elif draw < 0.82:
            if rng.random() < 0.25 and len(name) > 1:
                name = name[:-1] + "玥"
            out.write(f"{name},,{born.isoformat()},{village},{status},\n")
            counts["name"] += 1
        elif draw < 0.85:
            out.write(f"{name},5001091234,{born.isoformat()},{village},{status},\n")
            counts["invalid"] += 1
        else:
            out.write(f"新{name},,{born.replace(day=1).isoformat()},{village},{status},\n")
            counts["unregistered"] += 1
        written += 1
    LIST_PATH.write_bytes(out.getvalue().encode("gb18030"))
    counts["rows"] = written
    return counts


def measure_once() -> dict[str, float]:
    """One dry run and one import of the list, in this (fresh) process."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.regions import prefix_code
    from matching.models import ListImport
    from matching.services import list_dry_run, list_import
    from matching.sources import SourceKind
    from org.models import Region, User

    district = Region.objects.get(code=prefix_code(os.environ.get("BENCH_DISTRICT", "500109")))
    user = User.objects.get(username=USERNAME)
    ListImport.objects.filter(district=district).delete()  # the same file imports once
    data = LIST_PATH.read_bytes()
    started = time.perf_counter()
    record = list_dry_run(
        by=user,
        district=district,
        source=SourceKind.EDUCATION_DROPOUT,
        upload=SimpleUploadedFile("list.csv", data),
    )
    dry = time.perf_counter() - started
    if record.errors:
        raise SystemExit(f"the dry run found errors: {record.errors[:3]}")
    started = time.perf_counter()
    record, done = list_import(by=user, pk=record.pk)
    full = time.perf_counter() - started
    if not done:
        raise SystemExit(f"the import failed: {record.errors[:3]}")
    return {
        "dry_s": dry,
        "import_s": full,
        "matched": record.matched_count,
        "fuzzy": record.fuzzy_count,
        "review": record.review_count,
        "findings": record.finding_count,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    configure()
    if "--measure" in sys.argv:
        print(json.dumps(measure_once()))
        return
    from population import ensure_population

    children, rows = _sizes()
    info = ensure_population(
        children=children,
        visits_per_child=int(os.environ.get("BENCH_MATCH_VISITS", 12)),
        open_reports=0,
    )
    print(info.summary(), flush=True)
    counts = write_list(rows, info.district)
    print(f"list: {counts['rows']:,} rows ({counts}), {LIST_PATH.stat().st_size / 1e6:.1f} MB")
    runs = []
    for _ in range(int(os.environ.get("BENCH_MATCH_REPEAT", 3))):
        done = subprocess.run(  # noqa: S603 - this script, again
            [sys.executable, __file__, "--measure"], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  run: {runs[-1]}", flush=True)
    dry = statistics.median(r["dry_s"] for r in runs)
    full = statistics.median(r["import_s"] for r in runs)
    peak = max(r["rss_mb"] for r in runs)
    last = runs[-1]
    print(
        f"matching {counts['rows']:,} rows against {info.children:,} children: "
        f"dry run {dry:.1f} s (target < 30 s), import {full:.1f} s (target < 60 s), "
        f"peak memory {peak:.0f} MB (target < 500 MB); matched by ID {last['matched']:,}, "
        f"by name {last['fuzzy']:,}, to review {last['review']:,}, findings {last['findings']:,}"
    )
    record("list import (rows = children / 5): dry run, median", dry, "s")
    record("list import (rows = children / 5): import, median", full, "s")
    record("list import, peak", peak, "MB")


if __name__ == "__main__":
    main()
