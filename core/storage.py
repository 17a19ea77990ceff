"""Where uploaded and generated files live, and what happens when that place fails.

Every file (attachments, photos, training materials, uploaded imports, generated exports) is
kept in the one storage of `settings.STORAGES["default"]`: the local filesystem at MEDIA_ROOT
when no bucket is configured, an S3-compatible object store (MinIO, a cloud's) when
STORAGE_BUCKET is set. Code reads and writes them through the storage API only (a FieldFile's
`save` and `open`, the storage's `delete`), never by a path, so both behave alike.

A storage that is full, unreachable or refuses a file raises OSError (the filesystem: ENOSPC,
EACCES) or botocore's errors (the object store). `save_file` turns any of them into
`StorageUnavailable`, a ValidationError on the form's file field with a message in the user's
language: the upload fails with that message and nothing else is written.

A download opens its file with `open_for_download` (a missing file is a 404, a failing store
`StorageDown`); the API answers StorageDown as a 503 `{"detail": ...}` and a page view marked
`@serves_stored_files` as the site's 503 page. `answers(timeout)` is /ready/'s storage check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException

logger = logging.getLogger(__name__)

# What a storage raises when it cannot store or read a file: the filesystem's OSError,
# botocore's connection and timeout errors, the object store's refusals (a full disk, a
# missing bucket, wrong keys).
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)


def unavailable_message() -> str:
    return _(
        "The file could not be saved: the file storage is full or unavailable. Nothing was "
        "saved. Try again later; if it keeps failing, tell your system administrator."
    )


class StorageUnavailable(ValidationError):
    """The storage refused a file: a ValidationError on the form's `field`, so pages show it
    on the field and the API as a 400 with field errors."""

    def __init__(self, field: str = "file") -> None:
        super().__init__({field: [ValidationError(unavailable_message(), code="storage")]})


def save_file(file: FieldFile, name: str, content: File[Any], *, field: str = "file") -> None:
    """Store `content` under a name made from `name` by the field's upload_to (the row is not
    saved). Raises StorageUnavailable keyed by `field` when the storage fails; nothing is
    stored then."""
    try:
        file.save(name, content, save=False)
    except STORAGE_ERRORS as exc:
        logger.error("File storage failed to store %s: %r", name, exc)
        raise StorageUnavailable(field) from exc


def discard(storage: Storage, name: str | None) -> None:
    """Delete a stored file, best effort: a cleanup after a failure must not hide the failure
    when the storage itself is what failed (the file is then left for the operator)."""
    if not name:
        return
    try:
        storage.delete(name)
    except STORAGE_ERRORS as exc:
        logger.error("File storage failed to delete %s: %r", name, exc)


# --- Downloads ------------------------------------------------------------------------------


def download_unavailable_message() -> str:
    return _("The file storage is temporarily unavailable. Please try again later.")


class StorageDown(APIException):
    """The storage did not give back a stored file (unreachable, refusing, failing): not the
    file's absence. The API answers it as DRF does any APIException, a 503 with
    `{"detail": ...}`; a page view marked `@serves_stored_files` renders the 503 page."""

    status_code = 503
    default_code = "storage_unavailable"

    def __init__(self) -> None:
        super().__init__(detail=download_unavailable_message())


def open_for_download(storage: Storage, name: str | None) -> File[Any]:
    """The stored file `name`, opened and its first bytes read, so that a download fails here,
    before the view logs access or starts a response, rather than in the middle of the body
    (the object store's file is fetched whole on its first read). Http404 when there is no
    such file; StorageDown when the storage fails."""
    if not name:
        raise Http404
    try:
        stream = storage.open(name, "rb")
    except FileNotFoundError as exc:
        logger.warning("Stored file %s is missing", name)
        raise Http404 from exc
    except STORAGE_ERRORS as exc:
        logger.error("File storage failed to open %s: %r", name, exc)
        raise StorageDown from exc
    try:
        stream.read(1)
        stream.seek(0)
    except BaseException as exc:
        with suppress(Exception):
            stream.close()
        if isinstance(exc, ClientError) and _http_status(exc) == 404:
            logger.warning("Stored file %s is missing", name)
            raise Http404 from exc  # deleted between the opening and the first read
        if isinstance(exc, STORAGE_ERRORS):
            logger.error("File storage failed to read %s: %r", name, exc)
            raise StorageDown from exc
        raise
    return stream


def _http_status(exc: ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


# How long a client is asked to wait after a 503 of the storage (Retry-After).
RETRY_AFTER_SECONDS = 60


def serves_stored_files(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Mark a page view that streams a stored file: a StorageDown raised inside becomes the
    site's 503 page (文件存储暂时不可用，请稍后再试) instead of a 500."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except StorageDown:
            response = render(
                request,
                "storage_unavailable.html",
                {"message": download_unavailable_message()},
                status=503,
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            response["Cache-Control"] = "private, no-store"
            return response

    return wrapped


# --- Readiness ------------------------------------------------------------------------------

# The object looked up by the readiness probe: whether it exists does not matter, only that
# the storage answers.
PROBE_NAME = "carecase-ready-probe"
_probe_lock = threading.Lock()
_probe_running = threading.Event()


def answers(timeout: float) -> bool:
    """Does the storage answer a lookup of one small name (an exists(): a HEAD on the object
    store, a stat on the filesystem) within `timeout` seconds? The lookup runs in a thread of
    its own so that a store that hangs never holds the caller longer; while an earlier
    lookup still hangs no other is started (the answer is then no), so hanging probes never
    pile up threads."""
    with _probe_lock:
        if _probe_running.is_set():
            return False
        _probe_running.set()
    outcome: list[bool] = []

    def probe() -> None:
        try:
            default_storage.exists(PROBE_NAME)
            outcome.append(True)
        except Exception as exc:  # whatever keeps it from answering
            logger.warning("File storage does not answer: %r", exc)
            outcome.append(False)
        finally:
            _probe_running.clear()

    thread = threading.Thread(target=probe, name="storage-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        logger.warning("File storage did not answer within %s s", timeout)
        return False
    return bool(outcome and outcome[0])
