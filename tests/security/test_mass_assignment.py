"""What a customer posts can set only the fields their forms have: never status, coverage or anything staff decide."""

import pytest
from django.test import Client
from django.urls import reverse

from rma.models import RMA, Customer, FollowUp
from rma.status_links import status_link_issue, status_path

pytestmark = pytest.mark.django_db

SMUGGLED = {
    "status": "closed",
    "coverage": "goodwill",
    "coverage_reason": "I said so",
    "resolution": "replaced",
    "disposition": "retained_for_rca",
    "channel": "import",
    "is_repeat": "on",
    "quote_amount": "0.01",
    "quote_status": "accepted",
    "replacement_device": "1",
    "reported_on": "2019-01-01",
    "promised_on": "2019-01-02",
    "number": "RMA-00000001",
    "external_id": "x",
    "customer": "1",
    "customer_id": "1",
    "device_id": "1",
    "id": "1",
    "phone": "+44 1234",
    "organisation": "Evil Ltd",
}


def start(client, device, **extra):
    data = {
        "serial_number": device.serial_number,
        "email": "owner@example.com",
        "name": "Owner",
        "fault_description": "It stopped charging.",
        "submission_id": "s" * 32,
        **extra,
    }
    return client.post("/returns/new/", data)


@pytest.mark.parametrize("in_warranty", [True, False])
def test_starting_a_return_cannot_set_what_staff_or_the_policy_decide(make_device, in_warranty):
    device = make_device(in_warranty=in_warranty)
    response = start(Client(), device, **SMUGGLED)
    assert response.status_code == 303
    rma = RMA.objects.get(device=device)
    assert rma.status == RMA.Status.SUBMITTED
    assert rma.coverage == (RMA.Coverage.WARRANTY if in_warranty else RMA.Coverage.NONE)
    assert rma.coverage_reason != "I said so"
    assert (rma.resolution, rma.disposition, rma.channel) == ("", RMA.Disposition.WITH_CUSTOMER, RMA.Channel.WEB)
    assert not rma.is_repeat and rma.repeat_of is None
    assert (rma.quote_amount, rma.quote_status, rma.replacement_device) == (None, "", None)
    assert rma.reported_on.year != 2019 and rma.promised_on is None
    assert rma.number != "RMA-00000001" and rma.external_id is None
    customer = rma.customer
    assert (customer.email, customer.phone, customer.organisation) == ("owner@example.com", "", "")


def test_a_return_cannot_be_attached_to_someone_elses_customer_record(make_device):
    other = Customer.objects.create(email="victim@example.com", name="Victim", phone="+44 700")
    device = make_device()
    start(Client(), device, customer=str(other.pk), customer_id=str(other.pk), name="Attacker")
    rma = RMA.objects.get(device=device)
    assert rma.customer.email == "owner@example.com"
    other.refresh_from_db()
    assert (other.name, other.phone) == ("Victim", "+44 700")
    # and starting a return with an existing customer's address fills blanks only, never rewrites them
    start(Client(), make_device(serial_number="SN-SECOND"), email="victim@example.com", name="Renamed", phone="+1")
    other.refresh_from_db()
    assert (other.name, other.phone) == ("Victim", "+44 700")


def test_the_status_page_forms_change_only_what_they_ask(build):
    quoted = build(RMA.Status.AWAITING_CUSTOMER)
    path = status_path(status_link_issue(rma=quoted))
    response = Client().post(path, {"form": "quote", "answer": "accept", **SMUGGLED})
    assert response.status_code == 303
    quoted.refresh_from_db()
    assert (quoted.status, quoted.quote_status) == (RMA.Status.REPAIRING, RMA.QuoteStatus.ACCEPTED)
    assert quoted.coverage == RMA.Coverage.PAID  # as the accepted quote makes it, not "goodwill"
    assert quoted.disposition != RMA.Disposition.RETAINED_FOR_RCA

    closed = build(RMA.Status.CLOSED)
    path = status_path(status_link_issue(rma=closed))
    response = Client().post(path, {"answer": "working", "answered_at": "2019-01-01", "repeat_rma": "1", **SMUGGLED})
    assert response.status_code == 303
    follow_up = FollowUp.objects.get(rma=closed)
    assert follow_up.answer == "working" and follow_up.repeat_rma is None
    assert follow_up.answered_at.year != 2019
    closed.refresh_from_db()
    assert (closed.status, closed.coverage) == (RMA.Status.CLOSED, RMA.Coverage.WARRANTY)


def test_staff_cannot_edit_status_or_coverage_in_the_admin_form(build, supervisor, client):
    rma = build(RMA.Status.DIAGNOSING)
    client.force_login(supervisor)
    url = reverse("admin:rma_rma_change", args=[rma.pk])
    page = client.get(url).content.decode()
    assert 'name="status"' not in page and 'name="coverage"' not in page
    client.post(url, {"inbound_tracking": "IN-1", "fault_description": rma.fault_description, **SMUGGLED})
    rma.refresh_from_db()
    assert (rma.status, rma.coverage, rma.disposition) == (
        RMA.Status.DIAGNOSING,
        RMA.Coverage.WARRANTY,
        RMA.Disposition.IN_REPAIR_CENTRE,
    )


def test_the_api_refuses_fields_that_the_lifecycle_or_the_policy_decide(make_device, technician, client):
    device = make_device(in_warranty=False)
    client.force_login(technician)
    valid = {
        "serial_number": device.serial_number,
        "customer_email": "owner@example.com",
        "customer_name": "Owner",
        "fault_description": "Will not boot.",
    }
    smuggled = {"status": "closed", "coverage": "goodwill", "disposition": "retained_for_rca", "is_repeat": True}
    response = client.post("/api/v1/rmas/", {**valid, **smuggled}, content_type="application/json")
    # then: refused outright, each field named, nothing created
    assert response.status_code == 400
    assert set(smuggled) <= set(response.json()["errors"])
    assert not RMA.objects.filter(device=device).exists()
    # and the same request without them opens the return as the policy decides
    response = client.post("/api/v1/rmas/", valid, content_type="application/json")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["coverage"]) == ("submitted", "none")
