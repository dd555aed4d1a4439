"""Photos, logs and reports attached to diagnoses and root-cause cases: the shared upload checks
(``core.uploads``) with the diagnostics limits."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from core.uploads import CheckedFile, upload_check
from core.uploads import upload_content_type as attachment_content_type

__all__ = ["attachment_check", "attachment_content_type"]


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """Refuse an empty or oversized file, or one that is not a photo (JPEG, PNG), a PDF, a ZIP or plain text."""
    return upload_check(
        upload,
        max_bytes=settings.DIAGNOSTICS_ATTACHMENT_MAX_BYTES,
        max_pixels=settings.DIAGNOSTICS_ATTACHMENT_MAX_PIXELS,
    )
