"""A stranger starts a return on someone else's unit; the registered owner is told and starts their own (SPEC §8)."""

import re

import pytest
from django.core import mail

from rma.models import RMA, ProofOfPurchase
from tests.factories import CustomerFactory, ProductModelFactory
from tests.helpers import image_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

START_PATH = "/returns/new/"


def start_return(page, base_url, *, serial, name, email, fault):
    page.goto(base_url + START_PATH)
    page.get_by_label("Serial number").fill(serial)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your e-mail address").fill(email)
    page.get_by_label("What went wrong?").fill(fault)
    page.get_by_role("button", name="Send my request").click()


def test_a_stranger_cannot_take_over_a_unit_and_the_owner_supersedes_their_return(
    browser, page, shoot, live_server, settings, make_device
):
    settings.RMA_PUBLIC_BASE_URL = live_server.url
    owner = CustomerFactory(email="olivia@example.com", name="Olivia Owner")
    make_device(
        serial_number="SN-OWNED-77", product_model=ProductModelFactory(sku="PHN-X9", name="Zephyr X9 Pro"), owner=owner
    )

    # A stranger starts a return on the owner's serial.
    start_return(
        page,
        live_server.url,
        serial="sn-owned-77",
        name="Mallory Stranger",
        email="mallory@example.net",
        fault="Screen cracked, please replace.",
    )
    page.wait_for_url("**/returns/track/**")
    main = page.inner_text("main")
    # They see nothing of the unit beyond what they typed, and are asked for proof.
    assert "Zephyr" not in main and "PHN-X9" not in main
    assert "warranty" not in main.lower()
    assert "SN-OWNED-77" in main
    proof = page.get_by_role("heading", name="Please send us a proof of purchase")
    assert proof.is_visible()
    shoot(page, "ownership-01-stranger-asked-for-proof")

    # A wrong file gets a clear message; a photo of the receipt is taken.
    page.get_by_label("Your proof of purchase").set_input_files(
        {"name": "receipt.png", "mimeType": "image/png", "buffer": b"<html><script>alert(1)</script></html>"}
    )
    page.get_by_role("button", name="Send my proof of purchase").click()
    assert "We could not do that" in page.inner_text("main")
    assert "a photo (JPEG or PNG) or a PDF" in page.locator(".error-summary").inner_text()
    shoot(page, "ownership-02-stranger-wrong-file")
    page.get_by_label("Your proof of purchase").set_input_files(
        {"name": "receipt.png", "mimeType": "image/png", "buffer": image_bytes(120, 90)}
    )
    page.get_by_role("button", name="Send my proof of purchase").click()
    assert "receipt.png, received" in page.locator(".proofs").inner_text()
    assert ProofOfPurchase.objects.count() == 1
    stranger_url = page.url
    shoot(page, "ownership-03-stranger-proof-received")

    # The registered owner was e-mailed, with nothing about the stranger and no way into their return.
    strangers = RMA.objects.get()
    (to_owner,) = [m for m in mail.outbox if m.to == ["olivia@example.com"]]
    assert "if it was not you" in to_owner.body.lower()
    assert strangers.number in to_owner.body
    assert "Mallory" not in to_owner.body and "/returns/track/" not in to_owner.body
    start_url = re.search(r"https?://\S+/returns/new/", to_owner.body).group(0)

    # The owner starts their own return from the e-mail, in their own browser: it goes ahead.
    owner_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    owner_page = owner_context.new_page()
    owner_page.goto(start_url)
    owner_page.get_by_label("Serial number").fill("SN-OWNED-77")
    owner_page.get_by_label("Your name").fill("Olivia Owner")
    owner_page.get_by_label("Your e-mail address").fill("Olivia@Example.com")
    owner_page.get_by_label("What went wrong?").fill("It will not charge.")
    owner_page.get_by_role("button", name="Send my request").click()
    owner_page.wait_for_url("**/returns/track/**")
    owner_main = owner_page.inner_text("main")
    assert owner_page.locator("h1").inner_text() == "We have your request"
    assert "Zephyr X9 Pro" in owner_main and "under warranty until" in owner_main
    assert "proof of purchase" not in owner_main.lower()
    shoot(owner_page, "ownership-04-owner-return")
    owner_context.close()

    # The stranger's return was superseded: cancelled, and they are told why.
    strangers.refresh_from_db()
    assert strangers.status == RMA.Status.CANCELLED
    assert strangers.events.filter(action="supersede").count() == 1
    page.goto(stranger_url)
    assert "registered owner of the device has started a return" in page.locator(".timeline").inner_text()
    assert "Zephyr" not in page.inner_text("main")
    assert not page.get_by_role("heading", name="Please send us a proof of purchase").count()
    shoot(page, "ownership-05-stranger-superseded")


def test_an_unknown_and_an_unsold_serial_look_the_same(page, shoot, live_server, make_device):
    make_device(serial_number="SN-IN-STOCK-5", shipped_on=None)
    texts = []
    for serial in ("SN-NEVER-MADE", "SN-IN-STOCK-5"):
        start_return(page, live_server.url, serial=serial, name="Eve", email="eve@example.org", fault="Testing.")
        texts.append(page.locator("#id_serial_number_error").inner_text())
    assert texts[0] == texts[1]
    assert "We cannot find this serial number." in texts[0]
    shoot(page, "ownership-06-serial-not-found")
