"""The benches' headline figures, kept for the growth table of `make bench` (bench/growth.py).

Each bench calls `record(name, value, unit)` for the figures the README quotes. They go, one
JSON line each, to the file BENCH_FIGURES names (bench/growth.py sets it for each population
size); with BENCH_FIGURES unset, a bench run by hand records nothing. Names are stable across
sizes (no sample child's name in them), so that growth.py can line the sizes up.
"""

from __future__ import annotations

import json
import os


def record(name: str, value: float, unit: str) -> None:
    path = os.environ.get("BENCH_FIGURES")
    if not path:
        return
    line = json.dumps({"name": name, "value": float(value), "unit": unit}, ensure_ascii=False)
    with open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")
