"""The production web configuration, started locally, and a byte counter for Chromium pages.

Shared by `bench/bench_web.py` (make bench-web) and the page-weight test
(tests/e2e/test_page_weight.py), so that both measure the same thing:

- `production_env()`: the environment of a production process (the real settings module
  `carecase.settings`, DEBUG=0, the manifest storage of the settings), except HTTPS: the
  redirect and secure cookies are off because the local server speaks plain HTTP (in
  production a TLS proxy sits in front; it does not change what the pages weigh);
- `collect_static()`: `manage.py collectstatic` into a STATIC_ROOT of its own, with
  whitenoise's CompressedManifestStaticFilesStorage (hashed names, .gz and .br files);
- `gunicorn()`: gunicorn with the project's gunicorn.conf.py on a free port, serving
  static files through whitenoise as in the Docker image;
- `Weigher`: counts the bytes Chromium received over the network for one navigation
  (CDP `Network.loadingFinished` encodedDataLength: headers and body as transferred,
  compressed; 0 for what came from the cache), and can throttle the network
  (`Network.emulateNetworkConditions`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"

# 400 kbps down and up, 400 ms round trip (issue 14: "one bar of signal").
WEAK_NETWORK = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1024 / 8,
    "uploadThroughput": 400 * 1024 / 8,
}


def production_env(
    *,
    database_url: str,
    var_dir: Path,
    static_root: Path,
    secret_key: str,
    identifier_keys: str,
    identifier_hash_key: str,
) -> dict[str, str]:
    """The environment of a production web process on plain HTTP at 127.0.0.1."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CARECASE_", "DATABASE_URL", "REDIS_URL", "DEBUG"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "carecase.settings",
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "IDENTIFIER_KEYS": identifier_keys,
            "IDENTIFIER_HASH_KEY": identifier_hash_key,
            "DATABASE_URL": database_url,
            "CARECASE_VAR_DIR": str(var_dir),
            "STATIC_ROOT": str(static_root),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP locally: no redirect to HTTPS, cookies not marked Secure.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def collect_static(env: Mapping[str, str]) -> None:
    """collectstatic with the settings' production storage (manifest, compressed)."""
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [str(PYTHON), "manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"],
        cwd=ROOT,
        env=dict(env),
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(env: Mapping[str, str], *, log: Path | None = None, workers: int = 2) -> Iterator[str]:
    """gunicorn with the project's gunicorn.conf.py on a free port, `workers` processes (of
    gunicorn.conf.py's threads each); yields the base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - the venv's gunicorn
        [str(GUNICORN), "carecase.wsgi", "--config", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=server_env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health/", timeout=2):  # noqa: S310 - local
                return
        except urllib.error.HTTPError:
            return  # it answers (the health check may report a missing worker)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {url} within {timeout} s")


@dataclass
class Transfer:
    """What one navigation brought over the network."""

    bytes: int = 0
    requests: list[tuple[str, int]] = field(default_factory=list)  # (url, bytes) per request
    timing: dict[str, float] = field(default_factory=dict)  # ms from the navigation's start

    @property
    def kb(self) -> float:
        return self.bytes / 1024

    def describe(self) -> str:
        return ", ".join(f"{url.rsplit('/', 1)[-1] or url}: {n} B" for url, n in self.requests)


class Weigher:
    """Counts the bytes a Playwright page receives, per navigation, through CDP."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self._urls: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict[str, Any]) -> None:
        self._urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict[str, Any]) -> None:
        self._sizes[event["requestId"]] = int(event["encodedDataLength"])

    def clear_cache(self) -> None:
        self.cdp.send("Network.clearBrowserCache")

    def throttle(self, conditions: Mapping[str, Any] | None) -> None:
        """Emulate a network (WEAK_NETWORK), or none (None)."""
        if conditions is None:
            conditions = {"offline": False, "latency": 0, "downloadThroughput": -1}
            conditions = {**conditions, "uploadThroughput": -1}
        self.cdp.send("Network.emulateNetworkConditions", dict(conditions))

    def navigate(self, url: str) -> Transfer:
        """Go to `url`, wait for the load event and the network to settle; what came in."""
        self._urls.clear()
        self._sizes.clear()
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        transfer = Transfer()
        for request_id, size in self._sizes.items():
            url = self._urls.get(request_id)
            if url is None or url.startswith("data:"):
                # A request of the page before (sent before this navigation), or an image
                # inlined in the CSS (nothing travels).
                continue
            transfer.requests.append((url, size))
            transfer.bytes += size
        transfer.timing = self.page.evaluate(
            """() => { const n = performance.getEntriesByType("navigation")[0];
                       const p = performance.getEntriesByName("first-contentful-paint")[0];
                       return {dom_content_loaded: n.domContentLoadedEventEnd,
                               load: n.loadEventEnd,
                               first_paint: p ? p.startTime : n.loadEventEnd}; }"""
        )
        return transfer


def sign_in(page: Any, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=current-user]", state="attached")
    page.wait_for_load_state("networkidle")
