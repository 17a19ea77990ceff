"""The load bench's own servers: a private PostgreSQL cluster and a private redis-server.

Both live under var/bench/load/ on free loopback ports, so the fault phases (a fast restart of
PostgreSQL, Redis stopped for 20 s) touch nobody else's tests. The cluster's data directory is
kept between runs (the population in it is reused); Redis starts empty each run and keeps
an append-only file, so that a stop and a start during the run keep its queues (as a
production Redis on its volume does).

PostgreSQL refuses to run as root: when the bench runs as root, the cluster belongs to the
`postgres` system account and its commands run through runuser.

    python bench/load/servers.py 100000   # start both, print their URLs, stop on Ctrl-C
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOAD_DIR = ROOT / "var" / "bench" / "load"
PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_DIR = LOAD_DIR / "redis"
DATABASE = "carecase_load"
# Sized for a 2-core, 24 GB machine shared with others: enough connections for gunicorn's
# threads, the Celery workers and the checks; buffers for the hot part of 1,000,000 children.
PG_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "shared_buffers": "512MB",
    "effective_cache_size": "4GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _owner() -> str | None:
    """The account that runs PostgreSQL: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("BENCH_PG_USER", "postgres")


def _as_owner(command: list[str]) -> list[str]:
    owner = _owner()
    return ["runuser", "-u", owner, "--", *command] if owner else command


def _wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s")


@dataclass
class PrivatePostgres:
    """A cluster per population size (var/bench/load/pg-<children>), kept between runs."""

    data: Path = LOAD_DIR / "pg"
    port: int = 0

    @classmethod
    def for_children(cls, children: int) -> PrivatePostgres:
        return cls(data=LOAD_DIR / f"pg-{children}")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.data.name}.log"

    def _options(self) -> str:
        settings = {**PG_SETTINGS, "port": str(self.port), "unix_socket_directories": ""}
        return " ".join(f"-c {key}={value}" for key, value in settings.items())

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]
        return subprocess.run(_as_owner(command), check=check, capture_output=True)  # noqa: S603

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.data.mkdir(parents=True, exist_ok=True)
        owner = _owner()
        if owner:
            account = pwd.getpwnam(owner)
            for path in (self.data, self.data.parent):
                os.chown(path, account.pw_uid, account.pw_gid)
        subprocess.run(  # noqa: S603 - Debian's initdb
            _as_owner(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.init()
        if self._pg_ctl("status", check=False).returncode == 0:
            self.stop()  # left running by an interrupted run: start it on our own port
        if not self.port:
            self.port = free_port()
        self._pg_ctl("start", "-w", "-t", "120", "-o", self._options())
        _wait_for_port(self.port, 60, "PostgreSQL")
        self._ensure_database()

    def restart_fast(self) -> None:
        """pg_ctl restart -m fast: every connection cut, the server back on the same port."""
        self._pg_ctl("restart", "-m", "fast", "-w", "-t", "120", "-o", self._options())

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast", "-w", check=False)

    def _ensure_database(self) -> None:
        psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        exists = subprocess.run(  # noqa: S603
            [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],  # noqa: S608
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run([*psql, "-c", f"CREATE DATABASE {DATABASE}"], check=True)  # noqa: S603


@dataclass
class PrivateRedis:
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, fresh: bool = False) -> None:
        """Start on this server's port (a free one the first time); `fresh`: empty."""
        if not self.port:
            self.port = free_port()
        binary = shutil.which("redis-server") or "redis-server"
        if fresh:
            shutil.rmtree(REDIS_DIR, ignore_errors=True)
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - Debian's redis-server
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--dir",
                str(REDIS_DIR),
                "--logfile",
                str(LOAD_DIR / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, 30, "redis-server")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextlib.contextmanager
def private_servers(children: int) -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    postgres, redis = PrivatePostgres.for_children(children), PrivateRedis()
    postgres.start()
    try:
        redis.start(fresh=True)
        try:
            yield postgres, redis
        finally:
            redis.stop()
    finally:
        postgres.stop()


if __name__ == "__main__":
    import sys

    with private_servers(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) as (pg, rd):
        print(f"BENCH_DATABASE_URL={pg.url}\nREDIS_URL={rd.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
