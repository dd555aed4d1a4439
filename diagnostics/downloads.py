"""Attachments and customers' proofs of purchase, served to staff only as downloads a browser will not render.

Uploaded files are never served from MEDIA_URL: these views check the user's permission, then send
the file with ``Content-Disposition: attachment``, the type its content was checked to be,
``X-Content-Type-Options: nosniff`` and a sandboxing Content-Security-Policy.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.text import get_valid_filename

from diagnostics.attachments import attachment_content_type
from diagnostics.models import CaseAttachment, DiagnosisAttachment
from rma.models import ProofOfPurchase

Attachment = DiagnosisAttachment | CaseAttachment | ProofOfPurchase

MODELS: dict[str, tuple[type[Attachment], str]] = {
    "diagnosis": (DiagnosisAttachment, "diagnostics.view_diagnosisattachment"),
    "case": (CaseAttachment, "diagnostics.view_caseattachment"),
    # a customer's receipt: for the staff who confirm ownership
    "proof": (ProofOfPurchase, "rma.process_rma"),
}


def attachment_url(attachment: Attachment) -> str:
    kind = {CaseAttachment: "case", ProofOfPurchase: "proof"}.get(type(attachment), "diagnosis")
    return reverse("attachments:download", args=[kind, attachment.pk])


def download_name(attachment: Attachment) -> str:
    """The uploaded name made safe, with the suffix of the stored (checked) type."""
    stored = attachment.file.name or ""
    suffix = stored[stored.rfind(".") :] if "." in stored else ""
    original = attachment.original_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = original.rsplit(".", 1)[0] if "." in original else original
    return f"{get_valid_filename(stem) or 'attachment'}{suffix}"[-120:]


def attachment_download(request: HttpRequest, kind: str, pk: int) -> HttpResponseBase:
    if kind not in MODELS:
        raise Http404
    model, permission = MODELS[kind]
    user = request.user
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return redirect_to_login(request.get_full_path())
    if not user.has_perm(permission):
        raise PermissionDenied
    attachment: Attachment = get_object_or_404(model, pk=pk)  # type: ignore[assignment]
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(attachment),
        content_type=attachment_content_type(attachment.file.name or ""),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    add_never_cache_headers(response)
    return response


app_name = "attachments"
urlpatterns = [
    path("<str:kind>/<int:pk>/", attachment_download, name="download"),
]
