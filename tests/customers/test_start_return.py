"""Starting a return on /returns/new/ (SPEC §8)."""

import pytest
from django.urls import reverse

from rma.models import RMA, OutboxMessage
from tests.customers.helpers import track_path

pytestmark = pytest.mark.django_db

START = "/returns/new/"


def form_data(serial, **overrides):
    data = {
        "serial_number": serial,
        "email": "Ada@Example.com",
        "name": "Ada Lovelace",
        "fault_description": "The screen flickers, then goes black.",
        "submission_id": "form-1",
    }
    data.update(overrides)
    return data


def test_the_public_pages_live_at_the_paths_in_the_spec():
    assert reverse("rma:home") == "/"
    assert reverse("rma:start") == START
    assert reverse("rma:lookup") == "/returns/status/"
    assert reverse("rma:track", args=["abc"]) == "/returns/track/abc/"


def test_home_offers_to_start_or_check_a_return(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/returns/new/"' in body
    assert 'action="/returns/status/"' in body
    assert 'name="rma_number"' in body
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_form_has_the_fields_the_spec_names_with_labels(client):
    body = client.get(START).content.decode()
    for name in ["serial_number", "email", "name", "fault_description"]:
        assert f'name="{name}"' in body
        assert f'for="id_{name}"' in body
    assert '<html lang="en-gb" dir="ltr">' in body
    assert 'class="skip-link" href="#main"' in body


def test_submitting_opens_a_return_and_shows_the_acknowledgement(
    client, in_warranty_device, django_capture_on_commit_callbacks, mailoutbox
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, form_data(" sn-in-warranty "))
    # then
    path = track_path(response)
    rma = RMA.objects.get()
    assert rma.status == RMA.Status.SUBMITTED
    assert rma.channel == RMA.Channel.WEB
    assert rma.customer.email == "ada@example.com"
    assert rma.events.get().source == "page"
    page = client.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert rma.number in body
    assert "Thank you, Ada Lovelace" in body
    assert "You will hear from us by" in body  # by when
    assert "under warranty until" in body  # the warranty position
    assert "http://testserver" + path in body  # the secret link, to bookmark
    assert page["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page["Cache-Control"]
    # and the acknowledgement e-mail went out through the outbox
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ada@example.com"]
    assert rma.number in email.subject
    assert "/returns/track/" in email.body
    assert "under warranty until" in email.body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"serial_number": "SN-DOES-NOT-EXIST"}, "serial_number", "We cannot find this serial number"),
        ({"serial_number": ""}, "serial_number", "Please enter your device"),
        ({"email": "ada@"}, "email", "Please enter an e-mail address like name@example.com."),
        ({"fault_description": "   "}, "fault_description", "Please describe the fault"),
        ({"name": ""}, "name", "Please tell us your name."),
    ],
)
def test_mistakes_get_a_clear_message_by_the_field_and_keep_what_was_typed(
    client, in_warranty_device, overrides, field, message
):
    data = form_data("SN-IN-WARRANTY", **overrides)
    response = client.post(START, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body
    assert message.replace("'", "&#x27;") in body
    assert 'aria-invalid="true"' in body
    assert "Please check what you typed" in body  # the summary at the top links to the field
    assert f'href="#id_{field}"' in body
    for name, value in data.items():
        if name != field and value.strip():
            assert value in body  # what was typed is still there
    assert not RMA.objects.exists()


def test_a_typo_in_the_serial_can_be_fixed_and_submitted(client, in_warranty_device):
    first = client.post(START, form_data("SN-IN-WARRANTV"))
    assert first.status_code == 200
    second = client.post(START, form_data("SN-IN-WARRANTY"))
    track_path(second)
    assert RMA.objects.count() == 1


def test_submitting_the_same_form_twice_opens_one_return_and_shows_it_again(client, in_warranty_device):
    first = track_path(client.post(START, form_data("SN-IN-WARRANTY")))
    second = track_path(client.post(START, form_data("SN-IN-WARRANTY")))
    assert RMA.objects.count() == 1
    assert first != second  # each visit gets a fresh link ...
    number = RMA.objects.get().number
    assert number in client.get(second).content.decode()  # ... to the same return


def test_a_second_return_for_a_device_with_one_open_gets_a_friendly_message(client, in_warranty_device):
    track_path(client.post(START, form_data("SN-IN-WARRANTY", submission_id="first")))
    response = client.post(START, form_data("SN-IN-WARRANTY", submission_id="another-page"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This device already has a return open" in body
    assert RMA.objects.get().number not in body  # nothing about the open return leaks
    assert RMA.objects.count() == 1


def test_the_acknowledgement_page_cannot_be_posted_into_a_second_return(client, in_warranty_device):
    path = track_path(client.post(START, form_data("SN-IN-WARRANTY")))
    response = client.post(path, form_data("SN-IN-WARRANTY"))
    assert response.status_code in (200, 409)
    assert RMA.objects.count() == 1


def test_out_of_warranty_position_is_explained_in_plain_words(client, out_of_warranty_device):
    path = track_path(client.post(START, form_data("SN-OUT-OF-WARRANTY")))
    body = client.get(path).content.decode()
    assert "warranty ended on" in body
    assert "before anything costs you money" in body


def test_customer_text_is_always_escaped_on_the_page_and_in_the_email(
    client, in_warranty_device, django_capture_on_commit_callbacks, mailoutbox
):
    script = "<script>alert(1)</script>"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            START, form_data("SN-IN-WARRANTY", name=f"Eve {script}", fault_description=f"Broken {script}")
        )
    body = client.get(track_path(response)).content.decode()
    assert script not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    html = mailoutbox[0].alternatives[0][0]
    assert script not in html
    assert "&lt;script&gt;" in html


def test_starting_returns_is_rate_limited_per_address(client, in_warranty_device, settings):
    settings.RMA_START_RATE_PER_IP = "2/600"
    for _ in range(2):
        assert client.post(START, form_data("NOPE")).status_code == 200
    response = client.post(START, form_data("NOPE"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_unit_still_in_stock_cannot_be_returned(client, in_warranty_device):
    from tests.factories import DeviceFactory

    DeviceFactory(serial_number="SN-IN-STOCK", shipped_on=None, owner=None)
    response = client.post(START, form_data("SN-IN-STOCK"))
    assert response.status_code == 200
    assert "We cannot find this serial number" in response.content.decode()  # as for a serial we never made
    assert not RMA.objects.exists()
