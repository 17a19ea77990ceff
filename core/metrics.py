"""The metrics Prometheus scrapes from /metrics/ (carecase.metrics_views), defined once here so
that every app may record them (core imports no app). Labels are names of views, channels,
kinds and outcomes, never a person, a child or a region.

Several processes (gunicorn's workers, each Celery worker container) record into one set of
figures through prometheus_client's multiprocess mode: with METRICS_DIR set (a directory all
the containers share), each host — a container — writes its files into METRICS_DIR/<host>
(PROMETHEUS_MULTIPROC_DIR, set here before prometheus_client is imported), and the scrape adds
up every host's files (`registry`). Without METRICS_DIR (development, tests) the figures are
the process's own.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import redis

from core.env import env_str

METRICS_DIR = env_str("METRICS_DIR", "")
if METRICS_DIR:
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", os.path.join(METRICS_DIR, socket.gethostname())
    )
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# prometheus_client chooses its multiprocess mode when it is imported, from the variable above.
from prometheus_client import (  # noqa: E402
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.metrics_core import Metric  # noqa: E402

# Seconds: a page is quick (tens of ms) or slow (seconds); a sweep or an export takes minutes.
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
JOB_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600)

HTTP_REQUEST_SECONDS = Histogram(
    "carecase_http_request_duration_seconds",
    "Time to answer a request, by view (the URL pattern's name), method and status class.",
    ["view", "method", "status"],
    buckets=REQUEST_BUCKETS,
)
SWEEP_SECONDS = Histogram(
    "carecase_sweep_duration_seconds",
    "Time the daily reminder sweep took (notifications.sweep).",
    buckets=JOB_BUCKETS,
)
SWEEP_ROWS = Counter(
    "carecase_sweep_rows",
    "Reminders the sweep created.",
)
DELIVERIES = Counter(
    "carecase_deliveries",
    "Notification copies by channel and outcome: sent; retry (an attempt failed, it will be "
    "tried again); failed (given up after the last attempt).",
    ["channel", "outcome"],
)
EXPORT_SECONDS = Histogram(
    "carecase_export_duration_seconds",
    "Time an export job took to build, by kind and outcome (done or failed).",
    ["kind", "outcome"],
    buckets=JOB_BUCKETS,
)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def delivered(channel: str, *, sent: int = 0, retry: int = 0, failed: int = 0) -> None:
    for outcome, count in (("sent", sent), ("retry", retry), ("failed", failed)):
        if count:
            DELIVERIES.labels(channel=channel, outcome=outcome).inc(count)


@contextmanager
def timer() -> Iterator[list[float]]:
    """Seconds elapsed (the machine's monotonic clock, not core.clock: a frozen day in tests
    still measures real time), in the list's one item once the block ends."""
    elapsed: list[float] = []
    began = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - began)


# --- Several processes ------------------------------------------------------------------------


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def reset_process_dir() -> None:
    """Empty this host's directory when its server starts (gunicorn's master, a Celery
    worker's main process): the files of its previous run belong to processes long gone."""
    path = multiprocess_dir()
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def process_dead(pid: int) -> None:
    """A gunicorn worker exited (gunicorn.conf.py, child_exit)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class AllHosts:
    """Every host's figures under METRICS_DIR, added up (MultiProcessCollector reads one
    directory; here, one per container)."""

    def __init__(self, root: str) -> None:
        self.root = root

    def collect(self) -> Iterable[Metric]:
        files = glob.glob(os.path.join(self.root, "*", "*.db"))
        merged: Iterable[Metric] = multiprocess.MultiProcessCollector.merge(  # type: ignore[no-untyped-call]
            files, accumulate=True
        )
        return merged


class QueueDepths:
    """The messages waiting in each Celery queue, read from the Redis broker at scrape time
    (a Redis list per queue, named after it). Nothing on another broker."""

    def __init__(self, broker_url: str, queues: Sequence[str]) -> None:
        self.broker_url = broker_url
        self.queues = queues

    def collect(self) -> Iterable[Metric]:
        if not self.broker_url.startswith(("redis://", "rediss://")):
            return []
        family = GaugeMetricFamily(
            "carecase_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        client = redis.Redis.from_url(self.broker_url, socket_timeout=2, socket_connect_timeout=2)
        try:
            with client.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    pipe.llen(queue)
                lengths = pipe.execute()
        except redis.RedisError:
            return []
        finally:
            client.close()
        for queue, length in zip(self.queues, lengths, strict=True):
            family.add_metric([queue], float(length))
        return [family]


def registry(*, broker_url: str, queues: Sequence[str]) -> CollectorRegistry:
    """What one scrape answers: every process's figures and the queues' depths."""
    answer = CollectorRegistry()
    answer.register(AllHosts(METRICS_DIR) if METRICS_DIR else REGISTRY)
    answer.register(QueueDepths(broker_url, queues))
    return answer
