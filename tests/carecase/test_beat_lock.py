"""One scheduler however many beat processes run (issue 19): two real `celery beat` processes
on Redis, the second waits for the first's lock, sends nothing while it holds it, and takes
over once the first is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SENT = "Scheduler: Sending due task worker-heartbeat-"
# The heartbeats every 5 s; the lock renewed at least every second and held for 4 s.
INTERVAL, LOCK = 5, 4
# The suite's session fixtures set up the test database; these tests use none of it.
pytestmark = pytest.mark.django_db


@pytest.fixture
def beat_redis_url():
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("CI must set REDIS_URL so the beat lock runs through Redis")
        pytest.skip("REDIS_URL is not set")
    import redis

    # A database of its own: what the two beats send never reaches the suite's queues.
    url = redis_url.rsplit("/", 1)[0] + "/14"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


def start_beat(redis_url: str, prefix: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carecase.test_settings",
        "REDIS_URL": redis_url,
        "BEAT_KEY_PREFIX": prefix,
        "HEARTBEAT_SECONDS": str(INTERVAL),
        "BEAT_MAX_INTERVAL_SECONDS": "1",
        "BEAT_LOCK_SECONDS": str(LOCK),
        # The real clock: the beats schedule by it (the suite's frozen instant is not theirs).
        "CARECASE_TEST_NOW": "real",
    }
    command = [sys.executable, "-m", "celery", "-A", "carecase", "beat", "--loglevel=INFO"]
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - a fixed command line
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(log: Path, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def test_settings_choose_the_locked_scheduler_with_redis():
    from django.conf import settings

    if settings.REDIS_URL:
        assert settings.CELERY_BEAT_SCHEDULER == "redbeat.RedBeatScheduler"
        assert settings.CELERY_REDBEAT_LOCK_TIMEOUT >= 2 * settings.CELERY_BEAT_MAX_LOOP_INTERVAL
    else:
        assert not hasattr(settings, "CELERY_BEAT_SCHEDULER")


def test_two_beats_send_once_and_a_standby_takes_over(beat_redis_url, tmp_path):
    import redis

    prefix = f"test-beat-{uuid.uuid4().hex[:8]}"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_beat(beat_redis_url, prefix, first_log)
    second = None
    try:
        assert wait_for(first_log, "beat: Acquired lock", 60), first_log.read_text()
        assert wait_for(first_log, SENT, 30), first_log.read_text()
        second = start_beat(beat_redis_url, prefix, second_log)
        assert wait_for(second_log, "beat: Starting", 60), second_log.read_text()
        # Two heartbeat intervals with both running: the first sends, the second waits.
        sends_before = first_log.read_text().count(SENT)
        time.sleep(2 * INTERVAL + 1)
        assert first_log.read_text().count(SENT) > sends_before
        assert "Acquired lock" not in second_log.read_text()
        assert SENT not in second_log.read_text()

        # The active beat dies without releasing its lock; the standby takes over once the
        # lock expires, and sends the heartbeats from then on.
        killed_at = time.monotonic()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert wait_for(second_log, "beat: Acquired lock", LOCK + 15), second_log.read_text()
        assert time.monotonic() - killed_at >= LOCK - 1.5  # it waited for the lock's expiry
        assert wait_for(second_log, SENT, 2 * INTERVAL + 5), second_log.read_text()

        # The lock is the second's now, and one key holds it.
        client = redis.Redis.from_url(beat_redis_url)
        assert client.exists(f"{prefix}:lock")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
