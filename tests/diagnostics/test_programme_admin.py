"""Service programmes in the admin: written, listed, activated, announced; reimbursements approved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diagnostics import programmes
from diagnostics.models import FailurePattern, Programme, Reimbursement
from rma.models import Source
from tests.factories import DeviceFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db


def act(client, model, obj, action, **data):
    return client.post(reverse(f"admin:diagnostics_{model}_act", args=[obj.pk, action]), data)


@pytest.fixture
def pattern(battery):
    pattern = FailurePatternFactory(
        code="FP-0001", component=battery, status=FailurePattern.Status.ROOT_CAUSED, root_cause="Thin."
    )
    pattern.affected_models.set([ProductModelFactory(sku="PHN-1")])
    return pattern


def test_an_engineer_writes_uploads_activates_and_announces_a_programme(client, engineer, pattern, today):
    client.force_login(engineer)
    model = pattern.affected_models.get()
    response = client.post(
        reverse("admin:diagnostics_programme_add"),
        {
            "code": "",
            "title": "Battery programme",
            "summary": "Some batteries can swell.",
            "pattern": pattern.pk,
            "product_models": [model.pk],
            "lots": "L-BAD",
            "firmware_versions": "",
            "remedy": "repair",
            "coverage_years": "3",
            "reimburse_paid_repairs": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    programme = Programme.objects.get()
    assert (programme.code, programme.owner, programme.lots) == ("SP-0001", engineer, ["L-BAD"])
    listed = DeviceFactory(serial_number="SN-LISTED", product_model=model, lot="L-BAD", shipped_on=today)
    upload = SimpleUploadedFile("serials.csv", b"serial_number\nsn-listed\nSN-OTHER\n")
    assert act(client, "programme", programme, "upload_serials", serials=upload).status_code == 302
    assert sorted(programme.serials.values_list("serial_number", flat=True)) == ["SN-LISTED", "SN-OTHER"]
    assert act(client, "programme", programme, "activate").status_code == 302
    page = client.get(reverse("admin:diagnostics_programme_change", args=[programme.pk])).content.decode()
    assert "/act/notify_owners/" in page and "/act/close/" in page and "/act/activate/" not in page
    assert "Progress report" in page
    assert [item.programme.code for item in programmes.programmes_for_device(listed)] == ["SP-0001"]
    progress = client.get(reverse("reports:programme_progress", args=["SP-0001"]))
    assert progress.status_code == 200 and "eligible units in service" in progress.content.decode()


def test_technicians_cannot_activate_and_the_return_page_names_the_programme(
    client, technician, engineer, pattern, flow, today
):
    programme = programmes.programme_create(
        actor=engineer,
        title="Battery programme",
        summary="Some batteries can swell.",
        pattern=pattern,
        product_models=[],
        covered_until=today + dt.timedelta(days=90),
    )
    client.force_login(technician)
    assert act(client, "programme", programme, "activate").status_code == 403
    programmes.programme_activate(programme=programme, actor=engineer, source=Source.ADMIN)
    rma = flow.create(DeviceFactory(product_model=pattern.affected_models.get(), shipped_on=today))
    page = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert "Service programme" in page and "SP-0001" in page


def test_a_supervisor_approves_a_reimbursement(client, supervisor, engineer, technician, pattern, flow):
    programme = programmes.programme_create(
        actor=engineer, title="B", summary="S.", pattern=pattern, product_models=[], coverage_years=2
    )
    rma = flow.create(DeviceFactory(product_model=pattern.affected_models.get()))
    reimbursement = Reimbursement.objects.create(programme=programme, rma=rma, amount="49.00", currency="EUR")
    client.force_login(technician)
    assert act(client, "reimbursement", reimbursement, "approve").status_code == 403
    client.force_login(supervisor)
    assert act(client, "reimbursement", reimbursement, "approve", reason="Paid for FP-0001.").status_code == 302
    reimbursement.refresh_from_db()
    assert (reimbursement.status, reimbursement.decided_by) == ("approved", supervisor)
