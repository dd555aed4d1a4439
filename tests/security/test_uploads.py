"""Diagnosis photos and logs: stored under generated names, checked by content, served only to staff as downloads."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image, PngImagePlugin

from core.exceptions import ActionNotPermitted, InvalidInput
from diagnostics import services
from diagnostics.models import CaseAttachment, Diagnosis, DiagnosisAttachment, RootCauseCase
from rma.models import RMA, Source
from tests.factories import UserFactory
from tests.helpers import image_bytes

pytestmark = pytest.mark.django_db


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a picture of ``width`` × ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def png_with_text(text: str) -> bytes:
    """A valid PNG carrying ``text`` in a metadata chunk near its start."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>fetch('/admin/')</script></body></html>"

HOSTILE = [
    pytest.param("photo.png", HTML, "attachment_type_mismatch", id="html-named-png"),
    pytest.param("photo.png", b"\x89PNG\r\n\x1a\n" + HTML, "attachment_markup", id="html-behind-a-png-signature"),
    pytest.param(
        "photo.png", png_with_text("<script>alert(document.cookie)</script>"), "attachment_markup", id="polyglot"
    ),
    pytest.param("photo.png.html", image_bytes(), "attachment_type_not_allowed", id="double-extension"),
    pytest.param("report.html", HTML, "attachment_type_not_allowed", id="html"),
    pytest.param(
        "diagram.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "attachment_type_not_allowed",
        id="svg",
    ),
    pytest.param("notes.txt", b"  \n" + HTML, "attachment_markup", id="html-named-txt"),
    pytest.param("capture", b"<?xml version='1.0'?><svg/>", "attachment_markup", id="xml-without-a-name-suffix"),
    pytest.param("photo.jpg", image_bytes(), "attachment_type_mismatch", id="png-named-jpg"),
    pytest.param("photo.png", png_declaring(100_000, 100_000), "attachment_image_too_large", id="bomb-10-gigapixels"),
    pytest.param("photo.png", png_declaring(9_000, 9_000), "attachment_image_too_large", id="81-megapixels"),
    pytest.param("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "attachment_image_invalid", id="damaged-png"),
    pytest.param("photo.jpg", b"\xff\xd8\xff" + b"\x13" * 200, "attachment_image_invalid", id="damaged-jpeg"),
    pytest.param("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "attachment_type_not_allowed", id="program"),
    pytest.param("empty.log", b"", "attachment_empty", id="empty"),
]


@pytest.fixture
def diagnosis(build) -> Diagnosis:
    rma = build(RMA.Status.DIAGNOSING)
    return Diagnosis.objects.get(rma=rma)


def attach(diagnosis, actor, name, content, kind="photo"):
    return services.diagnosis_attach(
        diagnosis=diagnosis, actor=actor, file=SimpleUploadedFile(name, content), kind=kind
    )


def test_a_photo_and_a_log_are_stored_under_generated_names(diagnosis, technician):
    photo = attach(diagnosis, technician, "../../etc/cron.d/board photo.PNG", image_bytes(640, 480))
    jpeg = attach(diagnosis, technician, "x-ray.jpeg", image_bytes(image_format="JPEG"))
    log = attach(diagnosis, technician, "dmesg.log", b"[0.1] battery: thermal fault\n", kind="log")
    assert photo.original_name.endswith("board photo.PNG")  # kept as data only
    for attachment, suffix in [(photo, ".png"), (jpeg, ".jpg"), (log, ".log")]:
        name = attachment.file.name
        assert name.startswith("diagnoses/") and name.endswith(suffix)
        assert "photo" not in name and "etc" not in name and "x-ray" not in name and "dmesg" not in name
        assert len(name.rsplit("/", 1)[1]) == 32 + len(suffix)  # a random hex name


@pytest.mark.parametrize(("name", "content", "code"), HOSTILE)
def test_hostile_files_are_refused_by_content(name, content, code, diagnosis, technician):
    with pytest.raises(InvalidInput) as refused:
        attach(diagnosis, technician, name, content)
    assert refused.value.code == code
    assert refused.value.field == "file"
    assert not DiagnosisAttachment.objects.exists()


def test_a_large_file_is_refused(diagnosis, technician, settings):
    settings.DIAGNOSTICS_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(InvalidInput) as refused:
        attach(diagnosis, technician, "big.log", b"x" * 1025, kind="log")
    assert refused.value.code == "attachment_too_large"


def test_an_engineer_cannot_attach_to_a_diagnosis(diagnosis, engineer):
    with pytest.raises(ActionNotPermitted):
        attach(diagnosis, engineer, "photo.png", image_bytes())


def admin_attach(client, diagnosis, name, content):
    url = reverse("admin:diagnostics_diagnosis_act", args=[diagnosis.pk, "attach"])
    return client.post(url, {"kind": "photo", "file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize(("name", "content", "code"), HOSTILE)
def test_hostile_files_through_the_admin_get_a_message_not_a_500(name, content, code, client, diagnosis, technician):
    client.force_login(technician)
    response = admin_attach(client, diagnosis, name, content)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not DiagnosisAttachment.objects.exists()


def test_a_technician_attaches_a_photo_in_the_admin_and_staff_download_it(client, diagnosis, technician, engineer):
    client.force_login(technician)
    picture = image_bytes(32, 24)
    assert admin_attach(client, diagnosis, "swollen <cell>.png", picture).status_code == 302
    attachment = DiagnosisAttachment.objects.get()
    page = client.get(reverse("admin:diagnostics_diagnosis_change", args=[diagnosis.pk])).content.decode()
    url = reverse("attachments:download", args=["diagnosis", attachment.pk])
    assert url in page and "/media/" not in page
    # then: every role on staff downloads it, as a download the browser will not render
    for user in (technician, engineer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == picture
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="swollen_cell.png"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]


def test_a_text_file_is_served_as_plain_text_whatever_it_was_called(diagnosis, technician, client):
    log = attach(diagnosis, technician, "trace.json", b'{"battery": "fault"}', kind="log")
    client.force_login(technician)
    response = client.get(reverse("attachments:download", args=["diagnosis", log.pk]))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")


def test_case_attachments_are_served_the_same_way(build, technician, engineer, client):
    from diagnostics.services import unit_retain

    rma = unit_retain(rma=build(RMA.Status.DIAGNOSING), actor=technician, source=Source.ADMIN)
    case = RootCauseCase.objects.get(rma=rma)
    report = services.rca_case_attach(
        case=case, actor=engineer, file=SimpleUploadedFile("teardown.pdf", b"%PDF-1.7\n..."), kind="report"
    )
    client.force_login(engineer)
    response = client.get(reverse("attachments:download", args=["case", report.pk]))
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("application/pdf", "nosniff")
    assert response["Content-Disposition"] == 'attachment; filename="teardown.pdf"'
    assert CaseAttachment.objects.count() == 1


def test_only_staff_with_the_permission_get_a_file(diagnosis, technician):
    attachment = attach(diagnosis, technician, "photo.png", image_bytes())
    url = reverse("attachments:download", args=["diagnosis", attachment.pk])
    # anonymous: to the login page, no content
    response = Client().get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # a signed-in user who is not staff, and staff without the permission
    outsider = Client()
    outsider.force_login(UserFactory(username="customer-account", is_staff=False))
    assert outsider.get(url).status_code == 302
    bare_staff = Client()
    bare_staff.force_login(UserFactory(username="new-hire", is_staff=True))
    assert bare_staff.get(url).status_code == 403
    # and the stored file is not reachable at a media address
    assert Client().get(f"/media/{attachment.file.name}").status_code == 404
    assert Client().get(f"/{attachment.file.name}").status_code == 404
