"""Ownership (SPEC §8): anyone may start a return, but a stranger may not take over someone else's unit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.exceptions import TransitionRefused
from rma import services
from rma.models import RMA, Device, OutboxMessage, ProofOfPurchase, RMAEvent, Source
from tests.customers.helpers import track_path, without_csrf
from tests.factories import CustomerFactory, DeviceFactory, ProductModelFactory
from tests.helpers import image_bytes, last_event

pytestmark = pytest.mark.django_db

START = "/returns/new/"
OWN = RMA.Ownership
S = RMA.Status


@pytest.fixture
def owned(make_device):
    """A unit in warranty, of a model with a name a stranger must not learn, registered to its owner."""
    owner = CustomerFactory(email="owner@example.com", name="Olivia Owner")
    return make_device(
        serial_number="SN-OWNED-1",
        product_model=ProductModelFactory(sku="PHN-X9", name="Zephyr X9 Pro"),
        owner=owner,
    )


def start(client, serial, *, email, name, submission_id):
    return client.post(
        START,
        {
            "serial_number": serial,
            "email": email,
            "name": name,
            "fault_description": "It will not turn on.",
            "submission_id": submission_id,
        },
    )


def stranger_starts(client, serial="SN-OWNED-1"):
    return start(client, serial, email="mallory@example.net", name="Mallory Stranger", submission_id="stranger-1")


def owner_starts(client, serial="SN-OWNED-1"):
    return start(client, serial, email="Owner@Example.com", name="Olivia Owner", submission_id="owner-1")


def test_a_stranger_on_an_owned_serial_opens_a_return_with_ownership_to_confirm_and_learns_nothing_of_the_unit(
    client, owned, django_capture_on_commit_callbacks, mailoutbox
):
    # when a stranger starts a return on someone else's unit
    with django_capture_on_commit_callbacks(execute=True):
        path = track_path(stranger_starts(client))

    # then it opens, flagged, and the unit stays its owner's
    rma = RMA.objects.get()
    assert (rma.status, rma.ownership, rma.customer.email) == (S.SUBMITTED, OWN.TO_CONFIRM, "mallory@example.net")
    assert Device.objects.get(pk=owned.pk).owner.email == "owner@example.com"
    # and the acknowledgement page shows nothing of the unit's model or warranty, and asks for proof
    body = client.get(path).content.decode()
    assert "Zephyr" not in body and "PHN-X9" not in body
    assert "warranty" not in body.lower()
    assert "SN-OWNED-1" in body  # what they typed
    assert "Please send us a proof of purchase" in body
    assert 'enctype="multipart/form-data"' in body
    # and neither does the acknowledgement e-mailed to them
    to_stranger = [m for m in mailoutbox if m.to == ["mallory@example.net"]]
    assert len(to_stranger) == 1
    text = to_stranger[0].body + to_stranger[0].alternatives[0][0]
    assert "Zephyr" not in text and "warranty" not in text.lower()
    assert "proof of purchase" in text


def test_the_registered_owner_is_told_through_the_outbox_with_nothing_about_the_stranger(
    client, owned, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        stranger_starts(client)

    rma = RMA.objects.get()
    message = OutboxMessage.objects.get(to_email="owner@example.com")
    assert (message.template, message.status, message.rma) == ("ownership_check", OutboxMessage.Status.SENT, None)
    (email,) = [m for m in mailoutbox if m.to == ["owner@example.com"]]
    text = email.subject + email.body + email.alternatives[0][0]
    assert "if it was not you" in text.lower()
    assert "Zephyr X9 Pro (SN-OWNED-1)" in text  # their own unit
    assert rma.number in text  # a reference to quote
    assert "Mallory" not in text and "mallory" not in text and "It will not turn on" not in text
    assert "/returns/track/" not in text  # no way into the stranger's return
    assert "http://127.0.0.1:8000/returns/new/" in text or "/returns/new/" in text


def test_authorizing_is_refused_until_staff_confirm_ownership(client, owned, technician):
    stranger_starts(client)
    rma = RMA.objects.get()

    with pytest.raises(TransitionRefused) as refused:
        services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    assert refused.value.code == "ownership_unconfirmed"
    assert RMA.objects.get(pk=rma.pk).status == S.SUBMITTED

    # when a technician confirms ownership (a proof of purchase checked)
    rma = services.rma_confirm_ownership(rma=rma, actor=technician, source=Source.ADMIN, note="Receipt matches.")
    event = last_event(rma)
    assert (event.action, event.actor, event.internal_note) == ("confirm_ownership", technician, "Receipt matches.")
    assert event.customer_message  # the customer is told
    # then the return may be authorized, and the unit changes hands with it
    rma = services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    assert rma.status == S.AUTHORIZED
    assert Device.objects.get(pk=owned.pk).owner_id == rma.customer_id


def test_confirming_ownership_is_refused_when_it_is_not_in_question(build, technician):
    rma = build(S.SUBMITTED)
    with pytest.raises(TransitionRefused) as refused:
        services.rma_confirm_ownership(rma=rma, actor=technician, source=Source.ADMIN)
    assert refused.value.code == "ownership_not_in_question"


def test_refusing_ownership_rejects_the_return_and_keeps_the_owner(client, owned, supervisor, technician):
    stranger_starts(client)
    rma = RMA.objects.get()

    rma = services.rma_refuse_ownership(rma=rma, actor=supervisor, source=Source.ADMIN, note="Owner says not them.")

    assert (rma.status, rma.ownership) == (S.REJECTED, OWN.REFUSED)
    assert last_event(rma).action == "refuse_ownership"
    assert Device.objects.get(pk=owned.pk).owner.email == "owner@example.com"
    with pytest.raises(Exception):  # noqa: B017 - technicians may not reject
        services.rma_refuse_ownership(rma=rma, actor=technician, source=Source.ADMIN)


def test_the_owners_own_return_supersedes_the_strangers(client, owned, django_capture_on_commit_callbacks, mailoutbox):
    # given a stranger's return on the owner's unit
    stranger_starts(client)
    strangers = RMA.objects.get()

    # when the registered owner starts their own
    with django_capture_on_commit_callbacks(execute=True):
        path = track_path(owner_starts(Client()))

    # then theirs is open, in the open place, and the stranger's is cancelled with a timeline event
    owners = RMA.objects.exclude(pk=strangers.pk).get()
    assert (owners.status, owners.ownership, owners.customer.email) == (
        S.SUBMITTED,
        OWN.NOT_IN_QUESTION,
        "owner@example.com",
    )
    strangers.refresh_from_db()
    assert strangers.status == S.CANCELLED
    event = last_event(strangers)
    assert (event.action, event.to_status, event.data["superseded_by"]) == ("supersede", S.CANCELLED, owners.number)
    assert owners.events.get(action="create").data["supersedes"] == strangers.number
    # and the owner sees their unit; the stranger is told their return was closed
    assert "Zephyr X9 Pro" in Client().get(path).content.decode()
    assert [m for m in mailoutbox if m.to == ["mallory@example.net"] and "registered owner" in m.body]


def test_the_owners_return_page_shows_the_unit(client, owned):
    path = track_path(owner_starts(client))
    body = client.get(path).content.decode()
    assert "Zephyr X9 Pro" in body and "under warranty until" in body
    assert "proof of purchase" not in body.lower()
    assert RMA.objects.get().ownership == OWN.NOT_IN_QUESTION


def test_a_return_whose_ownership_was_confirmed_is_not_superseded(client, owned, technician):
    stranger_starts(client)
    services.rma_confirm_ownership(rma=RMA.objects.get(), actor=technician, source=Source.ADMIN)
    response = owner_starts(Client())
    assert response.status_code == 200
    assert "This device already has a return open" in response.content.decode()
    assert RMA.objects.count() == 1


def test_a_second_stranger_does_not_supersede_the_first(client, owned):
    stranger_starts(client)
    response = start(Client(), "SN-OWNED-1", email="eve@example.org", name="Eve", submission_id="eve-1")
    assert "This device already has a return open" in response.content.decode()
    assert RMA.objects.get().customer.email == "mallory@example.net"


def test_staff_opening_a_return_for_someone_other_than_the_owner_confirm_ownership(
    owned, technician, django_capture_on_commit_callbacks
):
    # staff have the customer on the phone or at the counter: they are the check
    with django_capture_on_commit_callbacks(execute=True):
        rma = services.rma_create(
            serial_number=owned.serial_number,
            customer_email="new.owner@example.com",
            fault_description="Bought it second-hand, it died.",
            channel=RMA.Channel.PHONE,
            actor=technician,
            source=Source.ADMIN,
        )
    assert rma.ownership == OWN.CONFIRMED
    assert rma.events.get(action="create").data["ownership"] == OWN.CONFIRMED
    assert OutboxMessage.objects.filter(to_email="owner@example.com", template="ownership_check").exists()
    services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)  # not refused


def test_the_api_creates_a_return_for_a_new_owner_with_ownership_confirmed(owned, technician, client):
    client.force_login(technician)
    response = client.post(
        "/api/v1/rmas/",
        {
            "serial_number": owned.serial_number,
            "customer_email": "walk.in@example.com",
            "customer_name": "Walk In",
            "fault_description": "Dead.",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["ownership"] == OWN.CONFIRMED


# An unknown serial and a unit never sold: the form is no oracle ---------------------------------------


def test_an_unknown_and_an_unsold_serial_get_the_same_answer_after_the_same_work(client):
    DeviceFactory(serial_number="SN-IN-STOCK", shipped_on=None, purchased_on=None)

    def answer(serial):
        with CaptureQueriesContext(connection) as queries:
            response = start(Client(), serial, email="x@example.com", name="X", submission_id="same")
        # the rate limit is counted in the cache, not the database; the device lookup is the only query
        return response.status_code, without_csrf(response.content), len(queries)

    unknown, unsold = answer("SN-NEVER-MADE"), answer("SN-IN-STOCK")
    assert unknown[0] == unsold[0] == 200
    assert unknown[2] == unsold[2]
    # the same page, byte for byte, apart from the CSRF token and the serial each typed back
    assert unknown[1].replace(b"SN-NEVER-MADE", b"SERIAL") == unsold[1].replace(b"SN-IN-STOCK", b"SERIAL")
    assert b"We cannot find this serial number" in unknown[1]
    assert not RMA.objects.exists()


# Proof of purchase on the status page -------------------------------------------------------------------


def upload(client, path, name, content):
    return client.post(path, {"form": "proof", "file": SimpleUploadedFile(name, content)})


def test_the_stranger_uploads_a_proof_of_purchase_and_staff_download_it(client, owned, technician):
    path = track_path(stranger_starts(client))
    picture = image_bytes(40, 30)

    response = upload(client, path, "receipt <1>.png", picture)

    assert response.status_code == 303
    proof = ProofOfPurchase.objects.get()
    assert (proof.content_type, proof.size, proof.original_name) == ("image/png", len(picture), "receipt <1>.png")
    assert proof.file.name.startswith("proofs/") and "receipt" not in proof.file.name
    event = RMAEvent.objects.filter(action="proof_of_purchase").get()
    assert (event.customer_message, event.source) == ("", Source.PAGE)
    body = client.get(path).content.decode()
    assert "receipt &lt;1&gt;.png" in body  # listed, escaped
    # and staff who confirm ownership get it as a download from the change page
    staff = Client()
    staff.force_login(technician)
    page = staff.get(reverse("admin:rma_rma_change", args=[proof.rma_id])).content.decode()
    url = reverse("attachments:download", args=["proof", proof.pk])
    assert url in page and "Ownership to confirm" in page
    download = staff.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == picture
    assert download["Content-Disposition"].startswith("attachment;")
    assert Client().get(url).status_code == 302  # nobody else


@pytest.mark.parametrize(
    ("name", "content", "code_text"),
    [
        ("receipt.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "a photo (JPEG or PNG) or a PDF"),
        ("receipt.html", b"<html></html>", "a photo (JPEG or PNG) or a PDF"),
        ("receipt.zip", b"PK\x03\x04" + b"\x00" * 40, "a photo (JPEG or PNG) or a PDF"),
        ("receipt.txt", b"paid in cash", "a photo (JPEG or PNG) or a PDF"),
        ("receipt.pdf", b"", "empty"),
    ],
)
def test_a_hostile_or_unsuitable_file_is_refused_with_a_message(client, owned, name, content, code_text):
    path = track_path(stranger_starts(client))
    response = upload(client, path, name, content)
    assert response.status_code == 400
    assert code_text in response.content.decode()
    assert not ProofOfPurchase.objects.exists()


def test_no_proof_is_taken_when_ownership_is_not_in_question(client, owned):
    path = track_path(owner_starts(client))
    response = upload(client, path, "receipt.pdf", b"%PDF-1.7\n...")
    assert response.status_code == 409
    assert not ProofOfPurchase.objects.exists()


def test_a_return_keeps_a_limited_number_of_proofs(client, owned, settings):
    settings.RMA_PROOF_MAX_FILES = 2
    path = track_path(stranger_starts(client))
    for _ in range(2):
        assert upload(client, path, "receipt.pdf", b"%PDF-1.7\n...").status_code == 303
    response = upload(client, path, "receipt.pdf", b"%PDF-1.7\n...")
    assert response.status_code == 409
    assert ProofOfPurchase.objects.count() == 2


def test_the_admin_offers_confirm_and_refuse_but_not_authorize_while_ownership_is_in_question(
    client, owned, supervisor
):
    stranger_starts(client)
    rma = RMA.objects.get()
    staff = Client()
    staff.force_login(supervisor)
    page = staff.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert "/act/confirm_ownership/" in page and "/act/refuse_ownership/" in page
    assert "/act/authorize/" not in page
    response = staff.post(reverse("admin:rma_rma_act", args=[rma.pk, "confirm_ownership"]), {"note": "Receipt ok."})
    assert response.status_code == 302
    assert RMA.objects.get(pk=rma.pk).ownership == OWN.CONFIRMED
    page = staff.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert "/act/authorize/" in page and "/act/confirm_ownership/" not in page


def test_the_api_refuses_authorize_with_its_code_until_ownership_is_confirmed(client, owned, technician):
    stranger_starts(client)
    rma = RMA.objects.get()
    staff = Client()
    staff.force_login(technician)
    url = f"/api/v1/rmas/{rma.number}/"

    refused = staff.post(url + "authorize/", {}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "ownership_unconfirmed"

    confirmed = staff.post(url + "confirm-ownership/", {"note": "Invoice seen."}, content_type="application/json")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["ownership"] == OWN.CONFIRMED
    assert staff.post(url + "authorize/", {}, content_type="application/json").json()["status"] == S.AUTHORIZED


def test_erasing_the_submitter_deletes_their_proofs_of_purchase_files_and_all(
    client, owned, supervisor, django_capture_on_commit_callbacks
):
    from rma.services.erasure import customer_erase

    path = track_path(stranger_starts(client))
    upload(client, path, "receipt.png", image_bytes(40, 30))
    proof = ProofOfPurchase.objects.get()
    storage, name = proof.file.storage, proof.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        report = customer_erase(customer=proof.rma.customer, actor=supervisor, source=Source.ADMIN)

    assert report.proofs_deleted == 1
    assert not ProofOfPurchase.objects.exists()
    assert not storage.exists(name)


def test_nothing_is_written_to_the_outbox_for_an_erased_customer(owned, supervisor):
    from rma.notifications import outbox_enqueue
    from rma.services.erasure import customer_erase

    customer = owned.owner
    customer_erase(customer=customer, actor=supervisor, source=Source.ADMIN)
    customer.refresh_from_db()
    before = OutboxMessage.objects.count()

    message = outbox_enqueue(customer=customer, template="advisory_notice", context={}, key="advisory-1-owner")

    assert message.pk is None
    assert OutboxMessage.objects.count() == before
