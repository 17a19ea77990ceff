"""Attachments of a child's archive: photos, the signed entrusted-guardianship confirmation
(委托监护确认书), certificates, scanned documents.

The type of an upload is decided by its whole content (core.uploads: magic bytes, Pillow
decoding images, pypdf parsing PDFs), never by its name or the browser's claim. Files are
stored under a random name (attachment_path) and are only ever served through the scoped view
in children/document_views.py: there is no MEDIA_URL.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from children.choices import AttachmentKind
from children.models import Attachment, Child
from core import clock, permissions, storage, uploads
from org.models import User

logger = logging.getLogger(__name__)

ALLOWED_TYPES = uploads.IMAGES_AND_PDF
IMAGE_TYPES = frozenset(t.content_type for t in ALLOWED_TYPES if t.pillow_format)
# Every attachment is served as a download (Content-Disposition: attachment), never shown
# inline, under a name whose extension is the checked type's.
ACCEPT = ",".join(t.content_type for t in ALLOWED_TYPES)


def download_name(original_name: str, file_type_extension: str) -> str:
    """The name a download is served under: the uploaded name's stem with the extension of the
    type its content was checked to be (never the uploaded extension: evil.html → evil.pdf)."""
    stem = uploads.clean_filename(original_name).rsplit(".", 1)[0] or "file"
    return f"{stem}.{file_type_extension}"


def extension_for(content_type: str) -> str:
    for file_type in ALLOWED_TYPES:
        if file_type.content_type == content_type:
            return file_type.extension
    return "bin"


def validate_upload(upload: UploadedFile) -> uploads.FileType:
    """The file's type, or a ValidationError on `file` saying what is wrong with it."""
    file_type = uploads.image_or_pdf(upload)
    if file_type is None:
        raise uploads.upload_error(
            _("This type of file is not accepted: upload a JPEG or PNG photo or a PDF."),
            "wrong_type",
        )
    return file_type


def save_attachment(
    *,
    by: User,
    child: Child,
    kind: str,
    upload: UploadedFile,
    description: str = "",
    client_token: uuid.UUID | None = None,
) -> Attachment:
    """Validate `upload` and add it to `child`'s archive. Raises ValidationError keyed by field
    (nothing is stored then); the same client token twice returns the first attachment."""
    if not permissions.can_add_records(by) or not (
        Child.objects.visible_to(by).filter(pk=child.pk).exists()
    ):
        raise PermissionDenied(_("You cannot add attachments to this archive."))
    if client_token is not None:
        earlier = Attachment.objects.filter(child=child, client_token=client_token).first()
        if earlier is not None:  # the same form submitted again (a phone retrying)
            return earlier
    errors: dict[str, list[Any]] = {}
    if kind not in AttachmentKind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    if len(description) > 200:
        errors["description"] = [_("At most 200 characters.")]
    file_type = None
    try:
        file_type = validate_upload(upload)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors or file_type is None:
        raise ValidationError(errors)

    attachment = Attachment(
        child=child,
        created_by=by,
        client_token=client_token,
        kind=kind,
        original_name=uploads.clean_filename(upload.name or ""),
        content_type=file_type.content_type,
        size=upload.size or 0,
        description=description,
    )
    # The stored name is random (attachment_path) with the extension of the detected type.
    storage.save_file(attachment.file, f"upload.{file_type.extension}", upload)
    stored = attachment.file.name
    try:
        with transaction.atomic():
            attachment.save()
            # The archive counts as updated whenever its records change (R11).
            Child.objects.filter(pk=child.pk).update(updated_at=clock.now())
    except BaseException as exc:
        # Nothing half-saved: the row was not written, so the file must not stay either.
        storage.discard(attachment.file.storage, stored)
        if isinstance(exc, IntegrityError) and client_token is not None:
            earlier = Attachment.objects.filter(child=child, client_token=client_token).first()
            if earlier is not None:  # a concurrent retry of the same upload won the race
                return earlier
        raise
    return attachment


def read_image(attachment: Attachment) -> bytes | None:
    """The stored bytes of an image attachment, or None when it is missing from storage."""
    if attachment.content_type not in IMAGE_TYPES:
        return None
    try:
        with attachment.file.storage.open(attachment.file.name, "rb") as stream:
            return bytes(stream.read())
    except storage.STORAGE_ERRORS:
        logger.warning("Attachment %s is missing from storage or it is unavailable", attachment.pk)
        return None


__all__ = [
    "ACCEPT",
    "ALLOWED_TYPES",
    "IMAGE_TYPES",
    "read_image",
    "save_attachment",
    "validate_upload",
]
