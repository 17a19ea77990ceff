"""/metrics/: only with the bearer token; request latency by view name (never the path), the
queues' depths read from Redis, and the figures of several processes added up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db
TOKEN = "m" * 40
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def scrape(client, token):
    response = client.get("/metrics/", **token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_no_token_no_metrics(client, settings, people):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics/").status_code == 404
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics/", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 404
    # A signed-in person is no scraper, not even the system administrator.
    client.force_login(people["sysadmin"])
    assert client.get("/metrics/").status_code == 404


def test_a_short_token_stops_the_process():
    result = subprocess.run(
        [sys.executable, "-c", "import carecase.settings"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", "METRICS_TOKEN": "short"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "METRICS_TOKEN" in result.stderr


def test_a_request_is_timed_by_its_view_name(client, token, people):
    labels = {"view": "children:detail", "method": "GET", "status": "4xx"}
    before = REGISTRY.get_sample_value("carecase_http_request_duration_seconds_count", labels)
    client.force_login(people["director"])
    assert client.get("/children/999999/").status_code == 404
    client.get("/health/")
    after = REGISTRY.get_sample_value("carecase_http_request_duration_seconds_count", labels)
    assert (after or 0) - (before or 0) == 1
    text = scrape(client, token)
    assert (
        'carecase_http_request_duration_seconds_count{method="GET",status="2xx",view="health"}'
        in text
    )
    assert 'view="children:detail"' in text
    # The view's name, never the path (a float sum may hold the digits: look for the path).
    assert "/children/999999" not in text and 'view="/' not in text
    # Nothing of a person: no account name of the requester.
    assert people["director"].username not in text
    # An address no pattern matches is one label, whatever the path.
    client.get("/no/such/page/500109201501010018/")
    assert 'view="unmatched"' in scrape(client, token)


def test_queue_depths_are_absent_without_redis(client, token, settings):
    if str(settings.CELERY_BROKER_URL).startswith("redis"):
        pytest.skip("a Redis broker: see the test below")
    assert "carecase_queue_depth" not in scrape(client, token)


@pytest.mark.celery_redis
def test_queue_depths_are_read_from_redis(client, token, settings, redis_celery):
    settings.CELERY_BROKER_URL = redis_celery.conf.broker_url
    for _ in range(3):
        redis_celery.send_task("carecase.tasks.heartbeat", args=["x"], queue="exports")
    text = scrape(client, token)
    assert 'carecase_queue_depth{queue="exports"} 3.0' in text
    assert 'carecase_queue_depth{queue="alerts"} 0.0' in text


def test_several_hosts_figures_are_added_up(tmp_path):
    """Two processes (two containers: two hosts' directories) count, a third scrapes."""
    record = textwrap.dedent(
        """
        from core import metrics
        metrics.SWEEP_ROWS.inc({n})
        metrics.delivered("sms", sent={n})
        """
    )
    for host, n in (("web-1", 2), ("worker-1", 5)):
        (tmp_path / host).mkdir()
        subprocess.run(  # noqa: S603 - the test's own code
            [sys.executable, "-c", record.format(n=n)],
            cwd=ROOT,
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / host)},
            check=True,
        )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from prometheus_client import generate_latest; from core import metrics; "
            "print(generate_latest(metrics.registry(broker_url='filesystem://', queues=[]))"
            ".decode())",
        ],
        cwd=ROOT,
        env={**os.environ, "METRICS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "carecase_sweep_rows_total 7.0" in result.stdout
    assert 'carecase_deliveries_total{channel="sms",outcome="sent"} 7.0' in result.stdout


def test_a_server_empties_its_hosts_directory_when_it_starts(tmp_path):
    """gunicorn's on_starting and a Celery worker's worker_init call this."""
    stale = tmp_path / "counter_123.db"
    stale.write_bytes(b"old")
    subprocess.run(
        [sys.executable, "-c", "from core import metrics; metrics.reset_process_dir()"],
        cwd=ROOT,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
        check=True,
    )
    assert not stale.exists() and tmp_path.is_dir()
