"""Checks on uploaded files, by their content: never by their name or the browser's claim.

The size is checked first (empty, larger than ATTACHMENT_MAX_BYTES), then the signature (magic
bytes), then the whole content: Pillow must decode an image of the signed format, pypdf must
parse a PDF with at least one page, an Office Open XML file must be a zip holding
[Content_Types].xml and a word/, xl/ or ppt/ part. Errors are ValidationErrors on `file`.
Archive attachments (children.attachments) and course materials (training.services) use these.
"""

from __future__ import annotations

import logging
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    magic: bytes = b""
    pillow_format: str | None = None  # the format Pillow must recognise, for images


JPEG = FileType("image/jpeg", "jpg", b"\xff\xd8\xff", "JPEG")
PNG = FileType("image/png", "png", b"\x89PNG\r\n\x1a\n", "PNG")
PDF = FileType("application/pdf", "pdf", b"%PDF-")
IMAGES_AND_PDF = (JPEG, PNG, PDF)
OLE = FileType("application/octet-stream", "ole", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # .doc/.xls
ZIP_MAGIC = b"PK\x03\x04"
# The part an Office Open XML package holds -> its type.
OOXML_PARTS = {
    "word/": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    ),
    "xl/": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"
    ),
}


def upload_error(message: str, code: str) -> ValidationError:
    """A ValidationError on the `file` field."""
    return ValidationError({"file": [ValidationError(message, code=code)]})


def check_size(upload: UploadedFile) -> None:
    """Refuse an empty file and one larger than ATTACHMENT_MAX_BYTES."""
    size = upload.size or 0
    if size <= 0:
        raise upload_error(_("The file is empty."), "empty")
    limit = settings.ATTACHMENT_MAX_BYTES
    if size > limit:
        raise upload_error(
            _("The file is too large: at most %(limit)s MB is allowed.")
            % {"limit": f"{limit / (1024 * 1024):.3g}"},
            "too_large",
        )


def read_head(upload: UploadedFile) -> bytes:
    """The first 16 bytes, enough for every signature; the stream is rewound."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return bytes(head)


def sniff(head: bytes, types: tuple[FileType, ...] = IMAGES_AND_PDF) -> FileType | None:
    """The type among `types` whose signature starts `head`, if any."""
    for file_type in types:
        if file_type.magic and head.startswith(file_type.magic):
            return file_type
    return None


def is_valid_image(stream: IO[bytes], expected_format: str) -> bool:
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


def is_valid_pdf(stream: IO[bytes]) -> bool:
    """Whether pypdf parses `stream` as a whole PDF (a header, a cross-reference table or
    stream, a trailer, at least one page), not just a file that starts with "%PDF-"."""
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


def ooxml_type(upload: UploadedFile) -> FileType | None:
    """The Office Open XML type of a zip upload (docx, xlsx, pptx), if it is one."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        names = []
    finally:
        upload.seek(0)
    if "[Content_Types].xml" in names:
        for part, file_type in OOXML_PARTS.items():
            if any(n.startswith(part) for n in names):
                return file_type
    return None


def image_or_pdf(upload: UploadedFile, *, verify_pdf: bool = True) -> FileType | None:
    """Check the size, then the type by content: a JPEG or PNG that Pillow decodes, or a PDF
    (that pypdf parses, unless `verify_pdf` is False). None when the file is neither; raises
    ValidationError on `file` when too large, empty or a damaged image or PDF."""
    check_size(upload)
    file_type = sniff(read_head(upload))
    if file_type is None:
        return None
    if file_type.pillow_format and not is_valid_image(upload, file_type.pillow_format):
        raise upload_error(_("The image is damaged or not a real JPEG or PNG file."), "bad_image")
    if verify_pdf and file_type is PDF and not is_valid_pdf(upload):
        raise upload_error(_("The PDF is damaged or not a real PDF file."), "bad_pdf")
    return file_type


def clean_filename(name: str) -> str:
    """An uploaded file's own name, for display only: no directories, no control
    characters, at most 200 characters (keeping the extension)."""
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 199 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name or "file"
