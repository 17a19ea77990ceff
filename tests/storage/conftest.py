"""An S3-compatible object store for the tests: moto's server, in this process, on a free
loopback port (no network service), and the file storage pointed at a fresh bucket of it."""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from django.test import override_settings
from moto.server import ThreadedMotoServer

KEY = "carecase-test"
SECRET = "carecase-test-secret"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def s3_storage(endpoint: str, bucket: str) -> dict[str, Any]:
    """STORAGES["default"] as carecase/settings.py builds it for STORAGE_BUCKET, pointed at
    `endpoint`, failing at once (one attempt, short timeouts) so a fault test is quick."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": KEY,
            "secret_key": SECRET,
            "region_name": REGION,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "max_memory_size": 8 * 1024 * 1024,
            "client_config": Config(
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 1, "mode": "standard"},
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                proxies={},
            ),
        },
    }


@dataclass
class Bucket:
    """The test's view of the bucket, through its own client (not the storage's)."""

    client: Any
    name: str
    media: Path

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())

    def local_files(self) -> list[Path]:
        """Whatever was written under MEDIA_ROOT: nothing, while the bucket is the storage."""
        return [p for p in self.media.rglob("*") if p.is_file()] if self.media.exists() else []


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    # The server's request log (werkzeug, INFO) would fill every failing test's report.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any, tmp_path: Path) -> Iterator[Bucket]:
    """A new private bucket as the default storage; MEDIA_ROOT an empty folder to watch."""
    settings.MEDIA_ROOT = tmp_path / "media"
    name = f"carecase-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, proxies={}),
    )
    client.create_bucket(Bucket=name)
    storages = {**settings.STORAGES, "default": s3_storage(s3_endpoint, name)}
    with override_settings(STORAGES=storages):
        yield Bucket(client=client, name=name, media=tmp_path / "media")


@pytest.fixture
def dead_storage(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """The default storage pointed at a loopback port nobody listens on: every request is
    refused, as when the object store is down."""
    settings.MEDIA_ROOT = tmp_path / "media"
    storages = {
        **settings.STORAGES,
        "default": s3_storage(f"http://127.0.0.1:{free_port()}", "carecase-down"),
    }
    with override_settings(STORAGES=storages):
        yield tmp_path / "media"


@contextmanager
def hanging_endpoint() -> Iterator[str]:
    """A loopback port that takes connections (the kernel's backlog) but never answers them:
    an object store that hangs."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.fixture
def hanging_storage(settings: Any, tmp_path: Path) -> Iterator[None]:
    """The default storage pointed at a store that hangs, with a read timeout far longer than
    /ready/'s bound. Afterwards the probe's thread is waited for (the closed port resets its
    connection), so that no later test finds a probe still running."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with hanging_endpoint() as endpoint:
        options = s3_storage(endpoint, "carecase-hangs")
        options["OPTIONS"]["client_config"] = options["OPTIONS"]["client_config"].merge(
            Config(connect_timeout=2, read_timeout=20)
        )
        with override_settings(STORAGES={**settings.STORAGES, "default": options}):
            yield
    for thread in threading.enumerate():
        if thread.name == "storage-probe":
            thread.join(30)
