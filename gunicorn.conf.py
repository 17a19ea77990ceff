"""gunicorn's settings for CareCase, read from the working directory (the Docker image's CMD,
bench/webprod.py). Environment: GUNICORN_BIND (0.0.0.0:8000), WEB_CONCURRENCY (worker
processes, 3), GUNICORN_THREADS (threads per worker, 4).

Threaded workers (gthread) rather than sync ones: a phone on one bar of signal (400 kbps,
400 ms round trip) sends a form and reads a page slowly, and a sync worker is held for the
whole exchange, one client at a time; a thread per connection lets the other threads serve
meanwhile. They also keep the connection open between a page and its assets (keep-alive),
which saves a TCP handshake, one round trip, per request when nothing sits in front.

Metrics (core.metrics): with METRICS_DIR set, the workers write their figures into this host's
directory, emptied when the server starts; a worker that exits is marked dead, so its live
figures leave the scrape (its counters stay in the totals). The access log carries each
response's X-Request-ID, the id on the app's own log lines.
"""

import os
from typing import Any

from core import metrics

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5  # seconds: a page's assets follow it within this
accesslog = "-"
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)


def on_starting(server: Any) -> None:
    metrics.reset_process_dir()


def child_exit(server: Any, worker: Any) -> None:
    metrics.process_dead(worker.pid)
