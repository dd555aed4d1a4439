"""Checks on uploaded files (diagnosis photos and logs, case reports, customers' proofs of purchase):
size, and a type read from the content, not the name.

A file is accepted only when its content is one of the accepted types and its name does not claim
another type: HTML named ``.png`` or ``x.png.html`` is refused, and so is markup in a text file.
Photos are opened with Pillow to check they are whole images of a sensible size (a few bytes can
declare a picture of billions of pixels that would take gigabytes to decode). Accepted files are
stored under generated names with the suffix of their real type, and served only to staff as
downloads (``diagnostics.downloads``). The error codes (``attachment_*``) are the same for every upload.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile

from core.exceptions import InvalidInput

SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"PK\x03\x04", "application/zip", ".zip"),
]
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
TEXT_SUFFIXES = {".txt": ".txt", ".log": ".log", ".csv": ".csv", ".json": ".json"}
# What a name may end with, and the type its content must then have.
NAME_SUFFIXES: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    **dict.fromkeys(TEXT_SUFFIXES, "text/plain"),
}
# The type a stored file is served with, from the suffix its generated name got from the content.
CONTENT_TYPES: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    **dict.fromkeys(TEXT_SUFFIXES, "text/plain"),
}
# Web-page markup a browser would render: refused in a photo (a page behind an image header), and as a
# text file that is a markup document (one whose content starts with a tag).
HTML_TAGS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<iframe", b"<object", b"<embed")
MARKUP_STARTS = (*HTML_TAGS, b"<?xml", b"<!--")

ALL_TYPES = frozenset(CONTENT_TYPES.values())
NOT_ACCEPTED = "Only photos (JPEG, PNG), PDF, ZIP and plain-text logs are accepted."


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    suffix: str  # the one the stored name gets, from the content
    size: int


def _refuse(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code, field="file")


def _content_type(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, suffix in SIGNATURES:
        if head.startswith(signature):
            return content_type, suffix
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # a multi-byte character cut at the end of the sample is still text
        return error.start >= len(head) - 4
    return True


def _has_markup(head: bytes, content_type: str) -> bool:
    lowered = head.lower()
    if content_type == "text/plain":
        return lowered.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(MARKUP_STARTS)
    return any(tag in lowered for tag in HTML_TAGS)


def _image_check(upload: UploadedFile, content_type: str, max_pixels: int) -> None:
    """A whole JPEG or PNG within the pixel limit, checked from its header before anything is decoded."""
    from PIL import Image

    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                if image.format != IMAGE_FORMATS[content_type]:
                    raise ValueError(f"{image.format} data behind a {content_type} signature")
                if width * height > max_pixels:
                    raise _refuse(
                        f"The picture is {width} × {height} pixels; at most {max_pixels / 1e6:.0f} megapixels "
                        "are accepted.",
                        "attachment_image_too_large",
                    )
                image.verify()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            f"The picture declares more than {max_pixels / 1e6:.0f} megapixels; it was not accepted.",
            "attachment_image_too_large",
        ) from None
    except Exception:
        raise _refuse("The picture is damaged or not really a JPEG or PNG.", "attachment_image_invalid") from None
    finally:
        upload.seek(0)


def upload_check(
    upload: UploadedFile,
    *,
    max_bytes: int,
    max_pixels: int,
    accepted: frozenset[str] = ALL_TYPES,
    not_accepted: str = NOT_ACCEPTED,
) -> CheckedFile:
    """Refuse an empty or oversized file, or one whose content is not of an ``accepted`` type.

    The type comes from the content; the name may only agree with it (or have no suffix).
    ``not_accepted`` tells the person uploading which types are accepted.
    """
    size = upload.size or 0
    if size <= 0:
        raise _refuse("The file is empty.", "attachment_empty")
    if size > max_bytes:
        raise _refuse(
            f"The file is {size / 1_048_576:.1f} MB; at most {max_bytes / 1_048_576:.0f} MB is accepted.",
            "attachment_too_large",
        )
    name_suffix = PurePath((upload.name or "").strip().lower()).suffix
    if name_suffix and NAME_SUFFIXES.get(name_suffix) not in accepted:
        raise _refuse(
            f"Files ending in “{name_suffix}” are not accepted. {not_accepted}", "attachment_type_not_allowed"
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    found = _content_type(head)
    if found is None:
        if not _is_text(head):
            raise _refuse(not_accepted, "attachment_type_not_allowed")
        found = ("text/plain", TEXT_SUFFIXES.get(name_suffix, ".txt"))
    content_type, suffix = found
    if name_suffix and NAME_SUFFIXES[name_suffix] != content_type:
        raise _refuse(
            f"The file is named “{name_suffix}” but its content is not: it was not accepted.",
            "attachment_type_mismatch",
        )
    if content_type not in accepted:
        raise _refuse(not_accepted, "attachment_type_not_allowed")
    if content_type in ("text/plain", *IMAGE_FORMATS) and _has_markup(head, content_type):
        raise _refuse("Files containing web-page markup (HTML, SVG, XML) are not accepted.", "attachment_markup")
    if content_type in IMAGE_FORMATS:
        _image_check(upload, content_type, max_pixels)
    return CheckedFile(content_type, suffix, size)


def upload_content_type(stored_name: str) -> str:
    """The type a stored upload is served with, from its generated name (unknown: a byte stream)."""
    return CONTENT_TYPES.get(PurePath(stored_name).suffix.lower(), "application/octet-stream")
