"""``erase_customer`` removes a customer's personal data from every table and keeps the failure records."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diagnostics import services as diagnostics_services
from diagnostics.models import Diagnosis
from rma import services
from rma.models import RMA, Customer, Device, FollowUp, OutboxMessage, RMAEvent, Source
from rma.notifications import outbox_sweep
from rma.status_links import status_link_issue, status_path

pytestmark = pytest.mark.django_db

NAME = "Zelda Quixote-Marsh"
EMAIL = "zelda.quixote@example.org"
PHONE = "+44 7700 900123"
ORGANISATION = "Quixote Farm Supplies"
FAULT = "Makes a crackling kettle sound since the storm"
FOLLOW_UP = "Still hissing like a teapot after the repair"
ERASED_STRINGS = [NAME, EMAIL, PHONE, ORGANISATION, FAULT, FOLLOW_UP]

OTHER_NAME, OTHER_EMAIL, OTHER_FAULT = "Ottilie Brandwyn", "ottilie@example.net", "Speaker buzzes at full volume"


def every_row_of_every_table() -> str:
    """The whole database as text, lower-case: what a scan for a leftover would read."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                chunks.append(f"{table}: {row!r}")
    return "\n".join(chunks).lower()


@pytest.fixture
def history(flow, make_device, battery, technician, supervisor, client):
    """A customer with two returns (the second from a follow-up answer), notes, e-mails, an admin edit."""
    device = make_device(serial_number="SN-ZELDA-1")
    first = services.rma_create(
        serial_number=device.serial_number,
        customer_email=EMAIL,
        customer_name=NAME,
        phone=PHONE,
        fault_description=f"{FAULT}. Call me on {PHONE}.",
        actor=None,
        source=Source.PAGE,
    )
    customer = first.customer
    Customer.objects.filter(pk=customer.pk).update(organisation=ORGANISATION)
    Device.objects.filter(pk=device.pk).update(owner=customer)
    services.rma_add_note(rma=first, actor=technician, source=Source.ADMIN, note=f"Spoke to {NAME} on {PHONE}.")
    first = flow.to(first, RMA.Status.CLOSED, component=battery, outcome="confirmed")
    services.follow_up_answer(rma=first, answer="still_failing", description=FOLLOW_UP)
    repeat = FollowUp.objects.get(rma=first).repeat_rma
    repeat = flow.to(repeat, RMA.Status.RECEIVED)
    diagnostics_services.diagnosis_record(
        rma=repeat,
        actor=technician,
        source=Source.ADMIN,
        component=battery,
        outcome="cause_unknown",
        symptoms="swollen cell, hissing",
        findings=f"Unit from {NAME} ({EMAIL}): cell vented.",
    )
    # an e-mail still waiting (e.g. the broker was down) and a status link
    OutboxMessage.objects.filter(rma=repeat).update(status=OutboxMessage.Status.PENDING, sent_at=None)
    link = status_path(status_link_issue(rma=repeat))
    # a supervisor corrected the phone number in the admin (the change log keeps the record's name)
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:rma_customer_change", args=[customer.pk]),
        {"name": NAME, "email": EMAIL, "phone": PHONE, "organisation": ORGANISATION},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    other_device = make_device(serial_number="SN-OTHER-1")
    other = services.rma_create(
        serial_number=other_device.serial_number,
        customer_email=OTHER_EMAIL,
        customer_name=OTHER_NAME,
        fault_description=OTHER_FAULT,
        actor=None,
        source=Source.PAGE,
    )
    return {"customer": customer, "rmas": [first, repeat], "device": device, "link": link, "other": other}


def test_every_personal_detail_is_gone_from_every_table_and_the_failure_records_stay(history, technician):
    customer = history["customer"]
    before = every_row_of_every_table()
    for text in ERASED_STRINGS:
        assert text.lower() in before, text  # the scan does see them before
    kept = {
        rma.pk: (rma.number, rma.status, rma.coverage, rma.resolution, rma.disposition, rma.is_repeat, rma.reported_on)
        for rma in RMA.objects.filter(customer=customer)
    }
    diagnoses = list(Diagnosis.objects.filter(rma__customer=customer).values_list("pk", "component_id", "outcome"))
    events_before = RMAEvent.objects.filter(rma__customer=customer).count()
    sent_before = len(mail.outbox)

    # when
    out = io.StringIO()
    call_command("erase_customer", EMAIL.upper(), stdout=out)

    # then: not one of the strings is left anywhere
    after = every_row_of_every_table()
    for text in ERASED_STRINGS:
        assert text.lower() not in after, text
    assert "Erased customer" in out.getvalue()
    # the other customer is untouched
    for text in (OTHER_NAME, OTHER_EMAIL, OTHER_FAULT):
        assert text.lower() in after
    # and what engineers need is all there
    assert {
        rma.pk: (rma.number, rma.status, rma.coverage, rma.resolution, rma.disposition, rma.is_repeat, rma.reported_on)
        for rma in RMA.objects.filter(customer=customer)
    } == kept
    assert list(Diagnosis.objects.filter(rma__customer=customer).values_list("pk", "component_id", "outcome")) == (
        diagnoses
    )
    assert "cell vented" in Diagnosis.objects.get(rma=history["rmas"][1]).findings
    assert RMAEvent.objects.filter(rma__customer=customer).count() == events_before + 2  # plus "customer_erased"
    device = Device.objects.get(pk=history["device"].pk)
    assert device.owner is None and device.serial_number == "SN-ZELDA-1"
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.organisation) == ("", "", "")
    assert customer.email.endswith("@erased.invalid")
    # nothing more is sent to them, and their status links are dead
    assert not OutboxMessage.objects.filter(customer=customer, status__in=["pending", "sending"]).exists()
    outbox_sweep(now=timezone.now() + dt.timedelta(hours=1))
    sent_now = mail.outbox[sent_before:]
    assert [m.to for m in sent_now] == [[OTHER_EMAIL]]  # only the other customer's acknowledgement
    assert Client().get(history["link"]).status_code == 404
    # and their address is free for a new start
    with pytest.raises(CommandError):
        call_command("erase_customer", EMAIL, stdout=io.StringIO())


def test_a_dry_run_changes_nothing(history):
    before = every_row_of_every_table()
    out = io.StringIO()
    call_command("erase_customer", EMAIL, "--dry-run", stdout=out)
    assert "Would erase" in out.getvalue() and "returns anonymised:        2" in out.getvalue()
    assert every_row_of_every_table() == before


def test_an_unknown_address_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No customer"):
        call_command("erase_customer", "nobody@example.com", stdout=io.StringIO())


# The door closes: an erased customer's returns cannot be opened again -------------------------------


def test_an_erased_customers_return_cannot_be_looked_up_or_tracked_again(in_warranty_device, supervisor, flow):
    from rma.services.erasure import customer_erase, erased_email
    from tests.customers.helpers import open_return, track_path, without_csrf

    lookup = "/returns/status/"
    rma = open_return(in_warranty_device, email=EMAIL, name=NAME)
    client = Client()
    old_link = track_path(client.post(lookup, {"rma_number": rma.number, "email": EMAIL}))
    customer_erase(customer=rma.customer, actor=supervisor, source=Source.ADMIN)

    # by number and the predictable placeholder address, or the old address: the page of any wrong look-up
    wrong = client.post(lookup, {"rma_number": "RMA-00000000", "email": "nobody@example.com"})
    assert wrong.status_code == 200 and "We could not find that return" in wrong.content.decode()
    for email in (erased_email(rma.customer_id), EMAIL):
        answer = client.post(lookup, {"rma_number": rma.number, "email": email})
        assert answer.status_code == 200
        assert without_csrf(answer.content) == without_csrf(wrong.content)
    # by a secret link, old or issued afterwards: the page of any unknown link
    unknown = client.get("/returns/track/no-such-token/")
    fresh = status_path(status_link_issue(rma=rma))
    for path in (old_link, fresh):
        answer = client.get(path)
        assert answer.status_code == 404
        assert without_csrf(answer.content) == without_csrf(unknown.content)
    # staff carry on with the return, and no e-mail goes to the placeholder
    sent = len(mail.outbox)
    flow.to(RMA.objects.get(pk=rma.pk), RMA.Status.AUTHORIZED)
    outbox_sweep(now=timezone.now() + dt.timedelta(hours=1))
    assert len(mail.outbox) == sent
    assert not OutboxMessage.objects.filter(to_email=erased_email(rma.customer_id), status="pending").exists()


def test_a_return_the_customer_starts_after_erasure_is_unaffected(in_warranty_device, supervisor, flow):
    from rma.services.erasure import customer_erase
    from tests.customers.helpers import open_return, track_path

    first = open_return(in_warranty_device, email=EMAIL, name=NAME)
    flow.to(first, RMA.Status.CANCELLED)
    customer_erase(customer=first.customer, actor=supervisor, source=Source.ADMIN)
    second = open_return(in_warranty_device, email=EMAIL, name=NAME)
    assert second.customer_id != first.customer_id
    path = track_path(Client().post("/returns/status/", {"rma_number": second.number, "email": EMAIL}))
    assert Client().get(path).status_code == 200
