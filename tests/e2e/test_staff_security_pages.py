"""The pages this hardening added, in a browser: attaching a file to a diagnosis, a refused file, the sign-in limit."""

from pathlib import Path

import pytest

from diagnostics.models import Diagnosis, DiagnosisAttachment
from rma.models import RMA
from tests.e2e.test_closed_loop_admin import log_in, snap
from tests.helpers import image_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_technician_attaches_a_photo_and_a_hostile_file_is_refused(page, live_server, build, technician, tmp_path):
    technician.set_password("correct-horse-battery")
    technician.save()
    diagnosis = Diagnosis.objects.get(rma=build(RMA.Status.DIAGNOSING))
    photo = tmp_path / "swollen cell.png"
    photo.write_bytes(image_bytes(64, 48))
    disguised = tmp_path / "photo.png"
    disguised.write_bytes(b"<!DOCTYPE html><script>alert(1)</script>")
    log_in(page, live_server, technician)
    change = f"{live_server.url}/admin/diagnostics/diagnosis/{diagnosis.pk}/change/"
    page.goto(change)
    page.get_by_role("link", name="Attach a file").click()
    page.get_by_label("File").set_input_files(str(disguised))
    page.get_by_role("button", name="Attach a file").click()
    assert "its content is not" in page.content()
    snap(page, "attachment-refused", full=False)
    page.get_by_label("File").set_input_files(str(photo))
    page.get_by_role("button", name="Attach a file").click()
    page.wait_for_url(change)
    snap(page, "diagnosis-with-attachment")
    attachment = DiagnosisAttachment.objects.get()
    with page.expect_download() as download:
        page.get_by_role("link", name="swollen cell.png").click()
    assert download.value.suggested_filename == "swollen_cell.png"
    assert Path(download.value.path()).read_bytes() == attachment.file.open("rb").read()


def test_too_many_sign_in_attempts_get_a_plain_answer(page, live_server, technician, settings):
    settings.RMA_LOGIN_RATE_PER_USERNAME = "2/900"
    for _ in range(3):
        page.goto(live_server.url + "/admin/login/")
        page.get_by_label("Username").fill(technician.username)
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    assert "too many sign-in attempts" in page.content().lower()
    snap(page, "sign-in-limited", full=False)


def test_the_error_page(page):
    page.set_content((Path(__file__).resolve().parents[2] / "templates" / "500.html").read_text())
    snap(page, "error-500", full=False)
    assert page.get_by_role("heading").inner_text() == "Something went wrong on our side"
