"""The fault tests' parts (issue 19, "Faults"): a private Redis server started for the test
(never the shared one), real Celery workers and a real gunicorn as subprocesses of the test
database, stopped at a named point (core/faults.py) and killed there with SIGKILL.

They need PostgreSQL (the subprocesses share the test database; SQLite's test database lives
in the test's memory) and the redis-server program; without either they are skipped, and
under CI (which provides both) they fail instead."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from tests import clock as suite_clock
from tests.notifications.conftest import today, villages_inspected  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
# Short enough for a test, in the order production keeps them: the lease of a claimed row
# runs out before the broker hands a lost message to another worker.
LEASE_SECONDS = 2
VISIBILITY_SECONDS = 4


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        _unavailable("the fault tests' subprocesses share a PostgreSQL test database")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """End a process this test started (by its own handle), SIGKILL if it will not stop."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@dataclass
class PrivateRedis:
    """A redis-server of this test's own, on a free port, in a temporary directory."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.directory)]  # fmt: skip
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False

        assert wait_for(answers, 10), (self.directory / "redis.log").read_text()

    def stop(self) -> None:
        stop(self.process)
        self.process = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        _unavailable("the redis-server program (the fault tests start a Redis of their own)")
    server = PrivateRedis(tmp_path / "redis")
    server.directory.mkdir()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reset_broker_pools(app) -> None:
    """Forget the app's broker connections and result backend, so that its next message goes
    to the broker now set (and no result is awaited from a Redis stopped since)."""
    from kombu import pools

    # kombu keeps one pool per broker address for the whole process: closing the app's
    # alone would leave a closed pool there for the next test on the same address.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def broker(private_redis):
    """The test process's Celery app publishing to the private Redis (tasks sent, not run
    here); afterwards as the suite has it (eager)."""
    from django.conf import settings

    from carecase.celery import app

    app.conf.task_always_eager = False
    app.conf.task_ignore_result = True  # the tests read the database, not task results
    app.conf.broker_url = private_redis.url
    app.conf.result_backend = private_redis.url
    app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY_SECONDS}
    _reset_broker_pools(app)
    try:
        yield app
    finally:
        _reset_broker_pools(app)
        app.conf.broker_url = settings.CELERY_BROKER_URL
        app.conf.result_backend = settings.CELERY_RESULT_BACKEND
        app.conf.broker_transport_options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        app.amqp.queues.select(settings.CELERY_QUEUE_NAMES)
        app.conf.task_always_eager = True
        app.conf.task_ignore_result = False


def database_url() -> str:
    """The test database, as a subprocess's DATABASE_URL."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


@dataclass
class Faults:
    """What a test's subprocesses share: the marker directory of the pause points, the files
    of the SMS and email edge, their logs."""

    directory: Path
    redis_url: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sms_file(self) -> Path:
        return self.directory / "sms.jsonl"

    @property
    def email_dir(self) -> Path:
        return self.directory / "email"

    def env(self, pause_at: str = "", **extra: str) -> dict[str, str]:
        now = suite_clock.SUITE_NOW and _test_now()
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "carecase.test_settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis_url,
            "CARECASE_FAULT_NOW": now or "",
            "CARECASE_FAULT_PAUSE_AT": pause_at,
            "CARECASE_FAULT_DIR": str(self.directory),
            "SMS_PROVIDER": "tests.faults.recording.FileSmsProvider",
            "CARECASE_FAULT_SMS_FILE": str(self.sms_file),
            "CARECASE_TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "CARECASE_TEST_EMAIL_DIR": str(self.email_dir),
            "NOTIFICATIONS_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
            "BROKER_VISIBILITY_SECONDS": str(VISIBILITY_SECONDS),
            "BROKER_RESTORE_SECONDS": "1",
            # The clock and a process's metrics stay the process's own.
            "METRICS_DIR": "",
            **extra,
        }
        environment.pop("CARECASE_TEST_NOW", None)
        return environment

    def worker(self, name: str, queues: str, pause_at: str = "", **extra: str):
        """A Celery worker (solo pool: the task runs in the process a SIGKILL ends), ready."""
        log = self.directory / f"{name}.log"
        command = [sys.executable, str(ROOT / "tests/faults/frozen.py"), "celery", "-A",
                   "carecase", "worker", "--pool=solo", "-Q", queues, "-n", f"{name}@faults",
                   "--without-gossip", "--without-mingle", "--loglevel=INFO"]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - a fixed command line
                command, cwd=ROOT, env=self.env(pause_at, **extra), stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.processes.append(process)
        assert wait_for(lambda: " ready." in log.read_text(errors="replace"), 60), log.read_text()
        return process

    def paused(self, point: str, seconds: float = 60) -> int:
        """Wait until a process stops at `point`; its pid."""
        marker = self.directory / f"{point}.pid"
        assert wait_for(marker.exists, seconds), self.logs()
        assert wait_for(lambda: marker.read_text().strip() != "", 5)
        return int(marker.read_text())

    def release(self, point: str) -> None:
        (self.directory / f"{point}.pid").unlink()

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(self.directory.glob("*.log"))
        )

    def emails(self) -> list[str]:
        """The To: address of every message the workers' email backend wrote."""
        return [
            line.removeprefix("To: ")
            for path in sorted(self.email_dir.glob("*.log"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("To: ")
        ]


def _test_now() -> str:
    from core import clock

    return clock.now().isoformat()


@pytest.fixture
def faults(tmp_path, private_redis) -> Iterator[Faults]:
    directory = tmp_path / "faults"
    directory.mkdir()
    (directory / "email").mkdir()
    state = Faults(directory, redis_url=private_redis.url)
    try:
        yield state
    finally:
        for process in state.processes:
            stop(process)
