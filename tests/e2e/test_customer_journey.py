"""A customer starts a return, follows it while staff work on it, and answers the follow-up."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail

from rma.models import RMA, Source
from rma.services import (
    follow_ups_queue_due,
    rma_authorize,
    rma_close,
    rma_receive,
    rma_repair,
    rma_ship,
    rma_start_diagnosis,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LINK = re.compile(r"https?://\S+/returns/track/[\w-]+/")


def latest_link(to):
    """The status link in the latest e-mail to ``to``."""
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return LINK.search(message.body).group(0)


def timeline(page):
    return page.locator(".timeline").inner_text()


def current_step(page):
    return page.locator('.steps [aria-current="step"] .step-label').inner_text()


def test_a_customer_follows_a_return_from_start_to_follow_up(
    page, shoot, live_server, settings, in_warranty_device, technician
):
    settings.RMA_PUBLIC_BASE_URL = live_server.url
    settings.RMA_FOLLOW_UP_DAYS = 14
    kw = {"actor": technician, "source": Source.ADMIN}

    # The home page: start or check a return.
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Something wrong with your device?"
    shoot(page, "01-home")

    # Keyboard users can skip to the content: the skip link is the first stop and shows itself.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.screenshot(path=str(Path(__file__).parent / "screenshots" / "02-skip-link-focus-desktop.png"))
    page.keyboard.press("Enter")

    # Start a return with a typo in the serial number.
    page.get_by_role("link", name="Start a return").first.click()
    page.get_by_label("Serial number").fill("SN-IN-WARRANTV")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your e-mail address").fill("ada@example.com")
    page.get_by_label("What went wrong?").fill("The battery drains from full to empty in an hour.")
    shoot(page, "03-start-form")
    page.get_by_role("button", name="Send my request").click()
    error = page.locator("#id_serial_number_error")
    assert "cannot find this serial number" in error.inner_text()
    assert page.get_by_label("Your name").input_value() == "Ada Lovelace"  # what was typed is kept
    assert page.get_by_label("What went wrong?").input_value().startswith("The battery drains")
    assert page.get_by_label("Serial number").get_attribute("aria-invalid") == "true"
    shoot(page, "04-start-error")

    # Fix it and send, impatiently twice: one return, and the acknowledgement.
    page.get_by_label("Serial number").fill("sn-in-warranty")
    page.locator('form[action="/returns/new/"]').evaluate("form => { form.requestSubmit(); form.requestSubmit(); }")
    page.wait_for_url("**/returns/track/**")
    rma = RMA.objects.get()
    assert page.locator("h1").inner_text() == "We have your request"
    assert rma.number in page.locator(".notice-good").inner_text()
    assert "You will hear from us by" in page.inner_text("main")
    assert "under warranty until" in page.inner_text("main")
    assert page.locator(".secret-link a").inner_text() == page.url
    assert current_step(page).startswith("Request received")
    shoot(page, "05-acknowledgement")

    # Starting another return for the same device gets a friendly answer, not a second return.
    page.goto(live_server.url + "/returns/new/")
    page.get_by_label("Serial number").fill("SN-IN-WARRANTY")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your e-mail address").fill("ada@example.com")
    page.get_by_label("What went wrong?").fill("Still the battery.")
    page.get_by_role("button", name="Send my request").click()
    assert page.get_by_role("heading", name="This device already has a return open").is_visible()
    assert RMA.objects.count() == 1

    # The acknowledgement e-mail has the secret link; a fresh browser follows it.
    assert rma.number in mail.outbox[0].subject
    link = latest_link("ada@example.com")
    page.context.clear_cookies()
    page.goto(link)
    assert "Your return" in page.locator("h1").inner_text()
    assert "We have received your return request" in timeline(page)
    shoot(page, "06-status-submitted")

    # Staff authorize and receive it: the page moves on.
    rma = rma_authorize(rma=rma, instructions="Use the prepaid label we e-mailed you.", **kw)
    rma = rma_receive(rma=rma, inbound_tracking="IN-4471", **kw)
    page.reload()
    assert current_step(page).startswith("Arrived with us")
    assert "Your device has arrived at our repair centre" in timeline(page)
    assert "Use the prepaid label" in timeline(page)
    assert "On its way by" in page.inner_text("main")
    shoot(page, "07-status-received")

    # Diagnosed, repaired, shipped with tracking.
    rma = rma_start_diagnosis(rma=rma, **kw)
    rma = rma_repair(rma=rma, **kw)
    rma = rma_ship(rma=rma, tracking_number="1Z-999-AA1", **kw)
    page.reload()
    assert current_step(page).startswith("On its way back")
    assert "1Z-999-AA1" in page.inner_text("main")
    shoot(page, "08-status-shipped")

    # Closed; two weeks later the follow-up e-mail asks whether it still works.
    rma = rma_close(rma=rma, **kw)
    assert follow_ups_queue_due(now=rma.closed_at + dt.timedelta(days=14, hours=1))
    follow_up_link = latest_link("ada@example.com")
    assert "still working" in mail.outbox[-1].subject
    page.goto(follow_up_link)
    question = page.get_by_role("heading", name="Is your device working properly now?")
    assert question.is_visible()
    shoot(page, "09-follow-up-question")

    # Still failing: a linked return opens straight away.
    page.get_by_label("What is happening now? (optional)").fill("Same battery drain again.")
    page.get_by_role("button", name="No, it's still failing").click()
    page.wait_for_url("**/returns/track/**")
    repeat = RMA.objects.get(repeat_of=rma)
    assert repeat.is_repeat
    assert repeat.number in page.locator(".notice-good").inner_text()
    assert "came back to us within" in page.inner_text("main")
    shoot(page, "10-repeat-acknowledgement")

    # The first return now says what happened to the answer.
    page.goto(follow_up_link)
    assert repeat.number in page.inner_text("main")
    assert not page.get_by_role("heading", name="Is your device working properly now?").count()


def test_looking_up_a_return_by_number_and_email(page, shoot, live_server, in_warranty_device, settings):
    settings.RMA_PUBLIC_BASE_URL = live_server.url
    from rma.services import rma_create

    rma = rma_create(
        serial_number=in_warranty_device.serial_number,
        customer_email="grace@example.com",
        customer_name="Grace Hopper",
        fault_description="Screen stays black.",
        actor=None,
        source=Source.PAGE,
    )
    page.goto(live_server.url + "/returns/status/")
    page.get_by_label("Return number").fill(rma.number)
    page.get_by_label("Your e-mail address").fill("someone-else@example.com")
    page.get_by_role("button", name="Show my return").click()
    assert page.get_by_role("heading", name="We could not find that return").is_visible()
    assert page.get_by_label("Return number").input_value() == ""
    shoot(page, "11-lookup-not-found")
    page.get_by_label("Return number").fill(rma.number.lower())
    page.get_by_label("Your e-mail address").fill("Grace@Example.com")
    page.get_by_role("button", name="Show my return").click()
    page.wait_for_url("**/returns/track/**")
    assert rma.number in page.inner_text("main")
    assert page.locator("h1").inner_text() == "Your return"  # not a new request


def test_an_expired_or_wrong_link_explains_itself(page, shoot, live_server, db):
    page.goto(live_server.url + "/returns/track/this-is-not-a-valid-link-0123456789/")
    assert page.locator("h1").inner_text() == "This link no longer works"
    shoot(page, "12-link-invalid")
