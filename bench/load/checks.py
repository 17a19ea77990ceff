"""The load bench's checks after the run (a Django process on the bench database):

- every visit the server acknowledged is stored exactly once under its client id, as the
  visit the server answered with; none stored twice; the ones still in an outbox at the end
  (never acknowledged) stored at most once;
- the children's stored due dates equal the cadence rule recomputed from their visits
  (visits.cadence.due_expressions, the rule the application stores by), in one query;
- the reminder and alert backlog drained within a bounded wait: no Delivery pending or
  claimed, every Celery queue empty (and nothing unacknowledged).

    python bench/load/checks.py RUN_DIR     # prints one JSON object
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def sent_visits(run_dir: Path) -> tuple[dict[str, int], set[str], int]:
    """Acknowledged (client id → the visit answered), never acknowledged, refused."""
    acked: dict[str, int] = {}
    pending: set[str] = set()
    refused = 0
    for path in sorted(run_dir.glob("sent-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["ack"]:
                acked[row["client_uuid"]] = int(row["visit"])
            elif "refused" in row:
                refused += 1
            else:
                pending.add(row["client_uuid"])
    return acked, pending - set(acked), refused


def visits_check(run_dir: Path) -> dict[str, Any]:
    from django.db.models import Count, Min

    from visits.models import Visit

    acked, pending, refused = sent_visits(run_dir)
    stored: dict[str, tuple[int, int]] = {}
    ids = [*acked, *pending]
    for start in range(0, len(ids), 5000):
        rows = (
            Visit.objects.filter(client_uuid__in=ids[start : start + 5000])
            .values("client_uuid")
            .annotate(n=Count("pk"), first=Min("pk"))
        )
        stored.update({str(r["client_uuid"]): (r["n"], r["first"]) for r in rows})
    lost = [c for c in acked if c not in stored]
    doubled = [c for c, (n, _first) in stored.items() if n > 1]
    other = [c for c, visit in acked.items() if c in stored and stored[c][1] != visit]
    return {
        "acknowledged": len(acked),
        "outbox_at_end": len(pending),
        "outbox_stored": sum(1 for c in pending if c in stored),
        "refused": refused,
        "lost": len(lost),
        "doubled": len(doubled),
        "not_the_answered_visit": len(other),
        "examples": (lost + doubled + other)[:5],
    }


def due_dates_check(district: str) -> dict[str, Any]:
    from django.db.models import F, Q

    from children.models import Child
    from core.regions import district_code, district_prefix, prefix_range
    from org.models import Region
    from visits import cadence

    region = Region.objects.get(code=district_code(district))
    rule = cadence.rule_for_code(region.code)
    expected = cadence.due_expressions(rule)
    children = Child.objects.filter(region_code__range=prefix_range(district_prefix(region.code)))
    annotated = children.annotate(
        want_contact=expected["next_contact_due"], want_home=expected["next_home_visit_due"]
    )

    def same(stored: str, wanted: str) -> Q:
        return Q(**{stored: F(wanted)}) | Q(
            **{f"{stored}__isnull": True, f"{wanted}__isnull": True}
        )

    differ = annotated.exclude(
        same("next_contact_due", "want_contact") & same("next_home_visit_due", "want_home")
    )
    return {
        "children": children.count(),
        "differ": differ.count(),
        "examples": list(differ.values_list("pk", flat=True)[:5]),
    }


def backlog(redis_url: str) -> dict[str, int]:
    import redis
    from django.conf import settings

    from notifications.models import Delivery, SendStatus

    client = redis.Redis.from_url(redis_url)
    out = {
        "deliveries_undelivered": Delivery.objects.filter(
            status__in=[SendStatus.PENDING, SendStatus.CLAIMED]
        ).count(),
        "deliveries_failed": Delivery.objects.filter(status=SendStatus.FAILED).count(),
        "deliveries_sent": Delivery.objects.filter(status=SendStatus.SENT).count(),
        "celery_unacked": int(client.hlen("unacked")),
    }
    for name in settings.CELERY_QUEUE_NAMES:
        out[f"queue_{name}"] = int(client.llen(name))
    return out


def drained(figures: dict[str, int]) -> bool:
    return all(
        v == 0 for k, v in figures.items() if k not in ("deliveries_sent", "deliveries_failed")
    )


def backlog_check(redis_url: str, wait: float) -> dict[str, Any]:
    """Poll until the backlog is gone or `wait` seconds have passed."""
    started = time.monotonic()
    figures = backlog(redis_url)
    while not drained(figures) and time.monotonic() - started < wait:
        time.sleep(5)
        figures = backlog(redis_url)
    return {**figures, "drained": drained(figures), "waited_s": round(time.monotonic() - started)}


def main() -> None:
    import django

    run_dir = Path(sys.argv[1])
    django.setup()
    users = json.loads((run_dir / "users.json").read_text())
    result = {
        "visits": visits_check(run_dir),
        "due_dates": due_dates_check(users["district"]),
        "backlog": backlog_check(
            os.environ["REDIS_URL"], float(os.environ.get("BENCH_LOAD_DRAIN_SECONDS", "300"))
        ),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
