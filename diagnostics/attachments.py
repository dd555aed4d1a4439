"""Checks on uploaded photos, logs and reports: size, and a type read from the content, not the name."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from rma.exceptions import InvalidInput

SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"PK\x03\x04", "application/zip", ".zip"),
]
TEXT_SUFFIXES = {".txt": ".txt", ".log": ".log", ".csv": ".csv", ".json": ".json"}


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    suffix: str  # the one the stored name gets, from the content
    size: int


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """Refuse an empty or oversized file, or one that is not a photo (JPEG, PNG), a PDF, a ZIP or plain text."""
    size = upload.size or 0
    limit = settings.DIAGNOSTICS_ATTACHMENT_MAX_BYTES
    if size <= 0:
        raise InvalidInput("The file is empty.", code="attachment_empty", field="file")
    if size > limit:
        raise InvalidInput(
            f"The file is {size / 1_048_576:.1f} MB; at most {limit / 1_048_576:.0f} MB is accepted.",
            code="attachment_too_large",
            field="file",
        )
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    for signature, content_type, suffix in SIGNATURES:
        if head.startswith(signature):
            return CheckedFile(content_type, suffix, size)
    name = (upload.name or "").lower()
    suffix = next((s for s in TEXT_SUFFIXES if name.endswith(s)), ".txt")
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # a multi-byte character cut at the end of the sample is still text
            if error.start < len(head) - 4:
                raise InvalidInput(
                    "Only photos (JPEG, PNG), PDF, ZIP and plain-text logs are accepted.",
                    code="attachment_type_not_allowed",
                    field="file",
                ) from None
        return CheckedFile("text/plain", TEXT_SUFFIXES[suffix], size)
    raise InvalidInput(
        "Only photos (JPEG, PNG), PDF, ZIP and plain-text logs are accepted.",
        code="attachment_type_not_allowed",
        field="file",
    )
