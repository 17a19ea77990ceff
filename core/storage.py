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
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

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
