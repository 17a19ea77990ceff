"""`make bench`: every bench at 100,000, 300,000 and 1,000,000 children, and how each grows.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecase_bench make bench
    BENCH_SIZES=100000,300000 BENCH_ONLY=sweep,stats .venv/bin/python bench/growth.py

For each size (BENCH_SIZES; default 100,000, 300,000 and 1,000,000 on PostgreSQL, 10,000,
30,000 and 100,000 on SQLite) the population is built or reused (bench/population.py), then
each bench runs in its own process with that size, its output shown as it comes. Each size has
its own database: the largest is BENCH_DATABASE_URL's, a smaller one the same name with
`_<size>` appended (created when missing; on SQLite a file beside it), so that a smaller
population is not the larger one with most of its children closed.

At the end, one table: each headline figure (bench/figures.py) at each size, and its growth
exponent b (the figure ~ children^b between the smallest and the largest size): flat below
0.15, sub-linear below 0.85, linear up to 1.15, super-linear above. A figure of a fixed area
(a village's dashboard, a director's work) should be flat in the children outside it.

BENCH_ONCE (default `duplicates,web`) runs after the others at the largest size only: the
duplicate bench plants records in its population, the web bench measures its own demo.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
FIGURES_DIR = ROOT / "var" / "bench"
GROWN = ("children", "sweep", "reports", "stats", "export", "risk", "matching")
ONCE = ("duplicates", "web")
# Every size variable the benches read (each bench had its own before this driver).
SIZE_VARIABLES = (
    "BENCH_CHILDREN",
    "BENCH_SWEEP_CHILDREN",
    "BENCH_REPORTS_CHILDREN",
    "BENCH_STATS_CHILDREN",
    "BENCH_EXPORT_CHILDREN",
    "BENCH_MATCH_CHILDREN",
    "BENCH_DUPLICATES_CHILDREN",
)


def base_url() -> str:
    default = f"sqlite:///{FIGURES_DIR / 'bench.sqlite3'}"
    return os.environ.get("BENCH_DATABASE_URL", default)


def postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def sizes(url: str) -> list[int]:
    default = "100000,300000,1000000" if postgres(url) else "10000,30000,100000"
    return sorted(int(s) for s in os.environ.get("BENCH_SIZES", default).split(",") if s)


def url_for(url: str, size: int, largest: int) -> str:
    """The database of a size: the base one for the largest, `<name>_<size>` otherwise."""
    if size == largest:
        return url
    if postgres(url):
        head, _, name = url.rpartition("/")
        name, _, query = name.partition("?")
        created = f"{head}/{name}_{size}" + (f"?{query}" if query else "")
        ensure_database(created)
        return created
    path = Path(url.removeprefix("sqlite:///"))
    return f"sqlite:///{path.with_name(f'{path.stem}_{size}{path.suffix}')}"


def ensure_database(url: str) -> None:
    import psycopg2

    head, _, name = url.rpartition("/")
    name = name.partition("?")[0]
    conn = psycopg2.connect(f"{head}/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')  # our own: BENCH_DATABASE_URL's
    finally:
        conn.close()


def run(script: str, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    print(f"\n=== bench/{script}.py {' '.join(args)}".rstrip(), flush=True)
    done = subprocess.run([sys.executable, str(BENCH / f"{script}.py"), *args], env=env)  # noqa: S603
    elapsed = time.perf_counter() - started
    verdict = "" if done.returncode == 0 else f", FAILED (exit {done.returncode})"
    print(f"=== bench/{script}.py took {elapsed:.0f} s{verdict}", flush=True)
    return elapsed


def environment(url: str, size: int, figures: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BENCH_DATABASE_URL"] = url
    env["BENCH_FIGURES"] = str(figures)
    for name in SIZE_VARIABLES:
        env[name] = str(size)
    env.setdefault("BENCH_OPEN_REPORTS", str(min(10_000, size // 100)))
    env["BENCH_MATCH_ROWS"] = os.environ.get("BENCH_MATCH_ROWS", str(max(size // 5, 1_000)))
    return env


def read(figures: Path) -> dict[str, tuple[float, str]]:
    values: dict[str, tuple[float, str]] = {}
    if figures.exists():
        for line in figures.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            values[row["name"]] = (row["value"], row["unit"])
    return values


def growth(first: float, last: float, n_first: int, n_last: int) -> str:
    if first <= 0 or last <= 0 or n_first == n_last:
        return ""
    b = math.log(last / first) / math.log(n_last / n_first)
    word = (
        "flat"
        if b < 0.15
        else "sub-linear"
        if b < 0.85
        else "linear"
        if b <= 1.15
        else "super-linear"
    )
    return f"{b:5.2f} {word}"


def shown(value: float) -> str:
    """Three significant figures or more: 0.412, 8.31, 72.3, 1,035."""
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:,.{digits}f}"


def table(results: dict[int, dict[str, tuple[float, str]]]) -> None:
    sys.path.insert(0, str(BENCH))
    from bench_children import pad

    ordered = sorted(results)
    names: list[str] = []
    for size in ordered:
        names += [n for n in results[size] if n not in names]
    head = "".join(f"{f'{size:,}':>13}" for size in ordered)
    print(f"\nHow each figure grows with the children ({', '.join(f'{s:,}' for s in ordered)}):")
    print(f"{pad('figure', 58)} {'unit':<6}{head}   growth (b in ~n^b)")
    print("-" * (70 + 13 * len(ordered) + 20))
    for name in names:
        unit = next(results[s][name][1] for s in ordered if name in results[s])
        cells = "".join(
            f"{shown(results[s][name][0]):>13}" if name in results[s] else f"{'-':>13}"
            for s in ordered
        )
        have = [s for s in ordered if name in results[s]]
        grown = (
            growth(results[have[0]][name][0], results[have[-1]][name][0], have[0], have[-1])
            if len(have) > 1
            else ""
        )
        print(f"{pad(name, 58)} {unit:<6}{cells}   {grown}")


def main() -> None:
    url = base_url()
    wanted = sizes(url)
    only = [b for b in os.environ.get("BENCH_ONLY", ",".join(GROWN)).split(",") if b]
    once = [b for b in os.environ.get("BENCH_ONCE", ",".join(ONCE)).split(",") if b]
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, tuple[float, str]]] = {}
    started = time.perf_counter()
    for size in wanted:
        figures = FIGURES_DIR / f"figures-{size}.jsonl"
        figures.unlink(missing_ok=True)
        env = environment(url_for(url, size, wanted[-1]), size, figures)
        print(f"\n##### {size:,} children ({env['BENCH_DATABASE_URL']})", flush=True)
        reports = env["BENCH_OPEN_REPORTS"]
        run("population", env, "--children", str(size), "--open-reports", reports)
        for script in only:
            run(f"bench_{script}", env)
        if size == wanted[-1]:
            for script in once:
                run(f"bench_{script}", env)
        results[size] = read(figures)
    table(results)
    print(f"\nmake bench took {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
