"""Attachments of a child's archive: photos, the signed entrusted-guardianship confirmation
(委托监护确认书), certificates, scanned documents.

The type of an upload is decided by its whole content (magic bytes, Pillow decoding images,
pypdf parsing PDFs), never
by its name or the browser's claim. Files are stored under a random name (attachment_path) and
are only ever served through the scoped view in children/document_views.py: there is no
MEDIA_URL.
"""

from __future__ import annotations

import logging
import os
import unicodedata
import uuid
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from children.choices import AttachmentKind
from children.models import Attachment, Child
from core import clock, permissions
from org.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    magic: bytes
    pillow_format: str | None  # the format Pillow must recognise, for images


JPEG = FileType("image/jpeg", "jpg", b"\xff\xd8\xff", "JPEG")
PNG = FileType("image/png", "png", b"\x89PNG\r\n\x1a\n", "PNG")
PDF = FileType("application/pdf", "pdf", b"%PDF-", None)
ALLOWED_TYPES = (JPEG, PNG, PDF)
IMAGE_TYPES = frozenset(t.content_type for t in ALLOWED_TYPES if t.pillow_format)
# Every attachment is served as a download (Content-Disposition: attachment), never shown
# inline, under a name whose extension is the checked type's.
ACCEPT = ",".join(t.content_type for t in ALLOWED_TYPES)


def sniff(head: bytes) -> FileType | None:
    """The allowed type whose signature starts `head`, if any."""
    for file_type in ALLOWED_TYPES:
        if head.startswith(file_type.magic):
            return file_type
    return None


def clean_name(name: str) -> str:
    """The uploaded file's own name, for display only: no directories, no control
    characters, at most 200 characters (keeping the extension)."""
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 199 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name or "file"


def _is_valid_image(stream: IO[bytes], expected_format: str) -> bool:
    """Whether Pillow opens `stream` as an image of `expected_format` and finds it intact."""
    try:
        stream.seek(0)
        with Image.open(stream) as image:
            if image.format != expected_format:
                return False
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        return False
    except Exception:  # Pillow's decoders raise a variety of errors on corrupt input
        logger.info("An uploaded image failed to open", exc_info=True)
        return False
    finally:
        stream.seek(0)
    return True


def _is_valid_pdf(stream: IO[bytes]) -> bool:
    """Whether pypdf parses `stream` as a whole PDF (a header, a cross-reference table or
    stream, a trailer, at least one page), not just a file that starts with "%PDF-"."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        stream.seek(0)
        reader = PdfReader(stream, strict=False)
        return len(reader.pages) > 0
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return False
    except Exception:  # a malformed file can trip any parser path
        logger.info("An uploaded PDF failed to parse", exc_info=True)
        return False
    finally:
        stream.seek(0)


def download_name(original_name: str, file_type_extension: str) -> str:
    """The name a download is served under: the uploaded name's stem with the extension of the
    type its content was checked to be (never the uploaded extension: evil.html → evil.pdf)."""
    stem = clean_name(original_name).rsplit(".", 1)[0] or "file"
    return f"{stem}.{file_type_extension}"


def extension_for(content_type: str) -> str:
    for file_type in ALLOWED_TYPES:
        if file_type.content_type == content_type:
            return file_type.extension
    return "bin"


def validate_upload(upload: UploadedFile) -> FileType:
    """The file's type, or a ValidationError on `file` saying what is wrong with it."""

    def fail(message: str, code: str) -> ValidationError:
        return ValidationError({"file": [ValidationError(message, code=code)]})

    size = upload.size or 0
    if size <= 0:
        raise fail(_("The file is empty."), "empty")
    limit = settings.ATTACHMENT_MAX_BYTES
    if size > limit:
        raise fail(
            _("The file is too large: at most %(limit)s MB is allowed.")
            % {"limit": f"{limit / (1024 * 1024):.3g}"},
            "too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    file_type = sniff(head)
    if file_type is None:
        raise fail(
            _("This type of file is not accepted: upload a JPEG or PNG photo or a PDF."),
            "wrong_type",
        )
    if file_type.pillow_format and not _is_valid_image(upload, file_type.pillow_format):
        raise fail(_("The image is damaged or not a real JPEG or PNG file."), "bad_image")
    if file_type is PDF and not _is_valid_pdf(upload):
        raise fail(_("The PDF is damaged or not a real PDF file."), "bad_pdf")
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
        original_name=clean_name(upload.name or ""),
        content_type=file_type.content_type,
        size=upload.size or 0,
        description=description,
    )
    # The stored name is random (attachment_path) with the extension of the detected type.
    attachment.file.save(f"upload.{file_type.extension}", upload, save=False)
    stored = attachment.file.name
    try:
        with transaction.atomic():
            attachment.save()
            # The archive counts as updated whenever its records change (R11).
            Child.objects.filter(pk=child.pk).update(updated_at=clock.now())
    except BaseException as exc:
        # Nothing half-saved: the row was not written, so the file must not stay either.
        attachment.file.storage.delete(stored)
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
    except OSError:
        logger.warning("Attachment %s is missing from storage", attachment.pk)
        return None


__all__ = [
    "ACCEPT",
    "ALLOWED_TYPES",
    "IMAGE_TYPES",
    "clean_name",
    "read_image",
    "save_attachment",
    "sniff",
    "validate_upload",
]
