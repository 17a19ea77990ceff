"""Readiness (`/ready/`, issue 19): may this process take traffic, and does what stands
behind it work? Each check answers "ok" or why not, in a word: the endpoint is public (load
balancers, docker-compose healthchecks), so it names no host, error or figure.

- database: answers a query; migrations: none unapplied (a process on new code against an
  old schema is not ready; remembered once true);
- cache and broker: the cache takes a write and the broker a connection (Redis in production,
  the embedded ones otherwise);
- queues: a worker served each Celery queue's heartbeat (sent by beat every
  HEARTBEAT_SECONDS) within READY_HEARTBEAT_FACTOR intervals: beat and every worker group run;
- sweep: the daily reminder sweep succeeded within READY_SWEEP_HOURS, and did not fail after
  its last success (never run yet, as on a new installation, is not a failure);
- replica (only when one is configured): "ok", "lagging" (more than REPLICA_MAX_LAG_SECONDS
  behind) or "down". Advisory: reads then fall back to the primary (core/replica.py), so the
  process stays ready;
- storage: the file storage answers a lookup of one name within READY_STORAGE_SECONDS
  ("ok"), else "down" (refused, failing or hanging: core.storage.answers). Advisory: the
  store is shared by every process, so taking them all out of service would turn lost
  downloads and uploads into a lost site; downloads answer a 503 page and uploads fail on
  their forms, and the rest (visits, reports, the archive) goes on."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from carecase.celery import app
from carecase.models import TaskRun
from carecase.selectors import queue_workers
from core import clock
from core import replica as read_replica
from core import storage as file_storage

SWEEP_TASK = "notifications.tasks.send_reminders"
OK = "ok"
_migrated = False


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return OK


def migrations() -> str:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "unapplied"
        _migrated = True
    return OK


def cache_write() -> str:
    cache.set("carecase:ready", 1, timeout=10)
    return OK if cache.get("carecase:ready") == 1 else "unwritable"


def broker() -> str:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return OK


def queues() -> str:
    stale = [queue for queue, _beat, served in queue_workers() if not served]
    return OK if not stale else "stale: " + ",".join(stale)


def sweep() -> str:
    run = TaskRun.objects.filter(name=SWEEP_TASK).first()
    if run is None:
        return OK  # never run yet
    if run.failing:
        return "failed"
    if run.succeeded_at and clock.now() - run.succeeded_at > datetime.timedelta(
        hours=settings.READY_SWEEP_HOURS
    ):
        return "stale"
    return OK


def replica() -> str:
    return read_replica.state(read_replica.measure())


def storage() -> str:
    return OK if file_storage.answers(settings.READY_STORAGE_SECONDS) else "down"


CHECKS: dict[str, Callable[[], str]] = {
    "database": database,
    "migrations": migrations,
    "cache": cache_write,
    "broker": broker,
    "queues": queues,
    "sweep": sweep,
    "storage": storage,
}
if read_replica.configured():
    CHECKS["replica"] = replica
NEEDS_DATABASE = ("migrations", "queues", "sweep")
# Reported, but not a reason to take the process out of service.
ADVISORY = ("replica", "storage")


def is_ready(answers: dict[str, str]) -> bool:
    return all(answer == OK for name, answer in answers.items() if name not in ADVISORY)


def report() -> dict[str, str]:
    """Each check's answer; a check that raised is "down" (and those needing the database
    are "unknown" while it is down)."""
    answers: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and answers.get("database") != OK:
            answers[name] = "unknown"
            continue
        try:
            answers[name] = check()
        except Exception:
            answers[name] = "down"
    return answers
